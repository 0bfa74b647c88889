using static LoraSdk.Tests.Adapters.AdapterTestKit;

namespace LoraSdk.Tests.Adapters;

/// <summary>A save that fails part-way leaves the previous adapter byte-identical and no staging folder behind.</summary>
public sealed class AtomicSaveTests : IDisposable
{
    private readonly TempFolder _parent = NewFolder();

    public void Dispose() => _parent.Dispose();

    private string Target => _parent.Combine("adapter");

    private Dictionary<string, byte[]> Files() =>
        Directory.GetFiles(Target).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private void AssertOnlyTheTargetExists() =>
        Assert.Equal(["adapter"], Directory.EnumerateFileSystemEntries(_parent.Path).Select(Path.GetFileName));

    [Fact]
    public void FailureAfterBothFilesAreWrittenKeepsThePreviousAdapter()
    {
        var first = new TinyNet();
        RandomizeLora(first, seed: 41);
        first.SaveAdapter(Target);
        var before = Files();

        var second = new TinyNet();
        RandomizeLora(second, seed: 42);
        string? staged = null;
        var error = Assert.Throws<IOException>(() => second.SaveAdapter(Target, new AdapterSaveOptions
        {
            WriteAdditionalFiles = staging =>
            {
                staged = staging;
                Assert.True(File.Exists(Path.Combine(staging, AdapterConfig.FileName)));
                Assert.True(File.Exists(Path.Combine(staging, AdapterModelExtensions.WeightsFileName)));
                throw new IOException("injected failure before the swap");
            },
        }));

        Assert.Equal("injected failure before the swap", error.Message);
        Assert.False(Directory.Exists(staged));
        Assert.Equal(before, Files());
        AssertOnlyTheTargetExists();
        var reloaded = FreshCopy(first, loraSeed: 43);
        reloaded.LoadAdapter(Target);
        AssertSameLora(first, reloaded);
    }

    [Fact]
    public void ATensorThatCannotBeStoredFailsMidSaveAndKeepsThePreviousAdapter()
    {
        var model = new NetWithComplexBuffer();
        model.SaveAdapter(Target);
        var before = Files();

        var error = Assert.Throws<NotSupportedException>(() => model.SaveAdapter(Target, new AdapterSaveOptions { ModulesToSave = ["extra"] }));

        Assert.Contains("base_model.model.extra.phases", error.Message);
        Assert.Equal(before, Files());
        AssertOnlyTheTargetExists();
    }

    [Fact]
    public void AFailedFirstSaveLeavesNothingBehind()
    {
        var model = new NetWithComplexBuffer();
        Assert.Throws<NotSupportedException>(() => model.SaveAdapter(Target, new AdapterSaveOptions { ModulesToSave = ["extra"] }));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_parent.Path));
    }

    [Fact]
    public void SavingOverAnAdapterReplacesItAndKeepsUnrelatedFiles()
    {
        var first = new TinyNet();
        RandomizeLora(first, seed: 44);
        first.SaveAdapter(Target);
        File.WriteAllText(Path.Combine(Target, "loss.svg"), "<svg/>");

        var second = FreshCopy(first, loraSeed: 45);
        second.SaveAdapter(Target);

        Assert.Equal("<svg/>", File.ReadAllText(Path.Combine(Target, "loss.svg")));
        AssertOnlyTheTargetExists();
        var reloaded = FreshCopy(first, loraSeed: 46);
        reloaded.LoadAdapter(Target);
        AssertSameLora(second, reloaded);
    }

    [Fact]
    public void AdditionalFilesAreSwappedInWithTheAdapter()
    {
        var model = new TinyNet();
        model.SaveAdapter(Target, new AdapterSaveOptions { WriteAdditionalFiles = dir => File.WriteAllText(Path.Combine(dir, "trainer_state.json"), "{\"step\":1}") });
        model.SaveAdapter(Target, new AdapterSaveOptions { WriteAdditionalFiles = dir => File.WriteAllText(Path.Combine(dir, "trainer_state.json"), "{\"step\":2}") });

        Assert.Equal("{\"step\":2}", File.ReadAllText(Path.Combine(Target, "trainer_state.json")));
        Assert.Equal([AdapterConfig.FileName, AdapterModelExtensions.WeightsFileName, "trainer_state.json"],
            Directory.GetFiles(Target).Select(Path.GetFileName).Order());
        AssertOnlyTheTargetExists();
    }

    [Fact]
    public void MissingParentFoldersAreCreated()
    {
        var model = new TinyNet();
        string nested = _parent.Combine("runs", "7", "adapter");
        model.SaveAdapter(nested + Path.DirectorySeparatorChar);
        Assert.True(File.Exists(Path.Combine(nested, AdapterConfig.FileName)));
        Assert.True(File.Exists(Path.Combine(nested, AdapterModelExtensions.WeightsFileName)));
    }

    [Fact]
    public void AFileInTheWayIsAnError()
    {
        File.WriteAllText(Target, "not a folder");
        var error = Assert.Throws<IOException>(() => new TinyNet().SaveAdapter(Target));
        Assert.Contains(Target, error.Message);
        Assert.Equal("not a folder", File.ReadAllText(Target));
    }
}
