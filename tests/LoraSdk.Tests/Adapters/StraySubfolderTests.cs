using static LoraSdk.Tests.Adapters.AdapterTestKit;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Adapters;

/// <summary>
/// What a multi-adapter folder may hold besides the adapters its save wrote: a backup copied into it, a half-deleted
/// named adapter, a subfolder named <c>default</c>. Loading never crashes on them and never drops an adapter without a
/// word; saving over the folder never deletes what LoraSdk did not write.
/// </summary>
public sealed class StraySubfolderTests
{
    private static TinyNet WithBillingAndRefund()
    {
        manual_seed(21);
        var model = new TinyNet();
        RandomizeLora(model, seed: 1);
        model.AddAdapter("billing", new LoraOptions(2, 4));
        model.AddAdapter("refund", new LoraOptions(2, 4));
        return model;
    }

    /// <summary>A copy of the root adapter's two files in <paramref name="subfolder"/> (a user's backup).</summary>
    private static void CopyRootInto(TempFolder folder, string subfolder)
    {
        Directory.CreateDirectory(folder.Combine(subfolder));
        foreach (string file in new[] { AdapterConfig.FileName, AdapterModelExtensions.WeightsFileName })
            File.Copy(folder.Combine(file), folder.Combine(subfolder, file));
    }

    [Theory]
    [InlineData("v1.0")]
    [InlineData("billing copy")]
    [InlineData("__base__")]
    public void ASubfolderWhoseNameIsNoAdapterNameIsSkippedWithAWarningNamingIt(string subfolder)
    {
        using var model = WithBillingAndRefund();
        using var folder = NewFolder();
        model.SaveAdapter(folder.Path);
        CopyRootInto(folder, subfolder);

        using var fresh = new TinyNet();
        var warnings = new List<string>();
        fresh.LoadAdapter(folder.Path, new AdapterLoadOptions { Warning = warnings.Add });
        Assert.Equal(["default", "billing", "refund"], fresh.AdapterNames());
        string warning = Assert.Single(warnings);
        Assert.StartsWith(folder.Combine(subfolder) + ": warning: skipped:", warning);
        Assert.Contains($"'{subfolder}' is not an adapter name", warning);

        using var other = new TinyNet();
        Assert.True(other.TryLoadAdapter(folder.Path, out string problem, new AdapterLoadOptions { Warning = _ => { } }), problem);
    }

    [Theory]
    [InlineData(AdapterConfig.FileName, AdapterModelExtensions.WeightsFileName)]
    [InlineData(AdapterModelExtensions.WeightsFileName, AdapterConfig.FileName)]
    public void ANamedAdapterMissingOneOfItsFilesIsAnErrorNamingTheSubfolderAndTheFile(string deleted, string kept)
    {
        using var model = WithBillingAndRefund();
        using var folder = NewFolder();
        model.SaveAdapter(folder.Path);
        File.Delete(folder.Combine("billing", deleted));

        using var fresh = new TinyNet();
        var snapshot = Snapshot(fresh);
        var error = Assert.Throws<AdapterFormatException>(() => fresh.LoadAdapter(folder.Path));
        Assert.Equal(folder.Combine("billing", deleted), error.FilePath);
        Assert.Contains($"the subfolder 'billing' holds {kept} without {deleted}", error.Message);
        Assert.Equal(["default"], fresh.AdapterNames());
        AssertUnchanged(snapshot, fresh);
        Assert.False(fresh.TryLoadAdapter(folder.Path, out string problem));
        Assert.StartsWith(folder.Combine("billing", deleted), problem);
    }

    [Fact]
    public void ASubfolderNamedDefaultIsRefusedNotLoadedOverTheRoot()
    {
        using var model = WithBillingAndRefund();
        using var folder = NewFolder();
        model.SaveAdapter(folder.Path);
        CopyRootInto(folder, "default");

        using var fresh = new TinyNet();
        var snapshot = Snapshot(fresh);
        var error = Assert.Throws<AdapterFormatException>(() => fresh.LoadAdapter(folder.Path));
        Assert.Equal(folder.Combine("default"), error.FilePath);
        Assert.Contains("the default adapter is the one at the root", error.Message);
        AssertUnchanged(snapshot, fresh);
        Assert.False(fresh.TryLoadAdapter(folder.Path, out _));
    }

    [Fact]
    public void TryLoadAdapterNeverThrowsForWhatTheFolderHolds()
    {
        using var model = WithBillingAndRefund();
        using var folder = NewFolder();
        model.SaveAdapter(folder.Path);
        CopyRootInto(folder, "old copy");
        using var fresh = new TinyNet();
        var warnings = new List<string>();
        Assert.True(fresh.TryLoadAdapter(folder.Path, out string problem, new AdapterLoadOptions { Warning = warnings.Add }), problem);
        Assert.Contains(warnings, w => w.Contains("old copy"));

        CopyRootInto(folder, "default");
        using var again = new TinyNet();
        Assert.False(again.TryLoadAdapter(folder.Path, out problem, new AdapterLoadOptions { Warning = _ => { } }));
        Assert.StartsWith(folder.Combine("default"), problem);
    }

    [Fact]
    public void SavingOverTheFolderKeepsASubfolderItDidNotWriteAndSaysSo()
    {
        using var model = WithBillingAndRefund();
        using var folder = NewFolder();
        model.SaveAdapter(folder.Path);
        CopyRootInto(folder, "backup-v1");
        byte[] backup = File.ReadAllBytes(folder.Combine("backup-v1", AdapterModelExtensions.WeightsFileName));

        // Retraining: a model with the default adapter only, saved over the folder.
        using var retrained = new TinyNet();
        RandomizeLora(retrained, seed: 5);
        var warnings = new List<string>();
        retrained.SaveAdapter(folder.Path, new AdapterSaveOptions { Warning = warnings.Add });

        Assert.Equal(backup, File.ReadAllBytes(folder.Combine("backup-v1", AdapterModelExtensions.WeightsFileName)));
        Assert.False(Directory.Exists(folder.Combine("billing")), "an adapter LoraSdk saved and the model no longer has is removed");
        Assert.False(Directory.Exists(folder.Combine("refund")));
        string warning = Assert.Single(warnings);
        Assert.StartsWith(folder.Combine("backup-v1") + ": warning: kept:", warning);
        Assert.Contains("LoraSdk did not write it", warning);
    }

    [Fact]
    public void SavingANamedAdapterOverASubfolderItDidNotWriteIsRefused()
    {
        using var folder = NewFolder();
        using (var saved = WithBillingAndRefund())
        {
            saved.DeleteAdapter("refund");
            saved.SaveAdapter(folder.Path);
        }
        CopyRootInto(folder, "refund"); // the user's own 'refund', not one LoraSdk saved
        byte[] before = File.ReadAllBytes(folder.Combine("refund", AdapterModelExtensions.WeightsFileName));
        byte[] root = File.ReadAllBytes(folder.Combine(AdapterModelExtensions.WeightsFileName));

        using var model = WithBillingAndRefund();
        var error = Assert.Throws<IOException>(() => model.SaveAdapter(folder.Path));
        Assert.Contains(folder.Combine("refund"), error.Message);
        Assert.Equal(before, File.ReadAllBytes(folder.Combine("refund", AdapterModelExtensions.WeightsFileName)));
        Assert.Equal(root, File.ReadAllBytes(folder.Combine(AdapterModelExtensions.WeightsFileName)));
    }
}
