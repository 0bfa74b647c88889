using TorchSharp;
using static TorchSharp.torch;
using static LoraSdk.Tests.Adapters.AdapterTestKit;

namespace LoraSdk.Tests.Adapters;

/// <summary>PEFT's multi-adapter folder layout: default at the root, each other adapter in a subfolder named after it.</summary>
public sealed class MultiAdapterFolderTests
{
    private static OptionsForPath Uneven => path => path == "blocks.1.value" ? new LoraOptions(2, 6) : new LoraOptions(3, 3);

    private static TinyNet WithNamedAdapters()
    {
        manual_seed(12);
        var model = new TinyNet();
        RandomizeLora(model, seed: 1);
        model.AddAdapter("billing", new LoraOptions(2, 4));
        using (model.UseAdapter("billing")) RandomizeLora(model, seed: 2);
        return model;
    }

    /// <summary>A TinyNet (rank 4 adapters, other random factors) with <paramref name="source"/>'s base weights.</summary>
    private static TinyNet SameBase(TinyNet source)
    {
        var model = new TinyNet();
        model.load_state_dict(source.state_dict().Where(e => !e.Key.Contains("_lora.", StringComparison.Ordinal)).ToDictionary(), strict: false);
        RandomizeLora(model, seed: 9);
        return model;
    }

    [Fact]
    public void Save_writes_the_default_at_the_root_and_named_adapters_in_subfolders_and_load_reads_them_back()
    {
        using var model = WithNamedAdapters();
        using var folder = NewFolder();
        model.SaveAdapter(folder.Path, new AdapterSaveOptions { ModulesToSave = ["classifier"] });

        Assert.True(File.Exists(folder.Combine(AdapterConfig.FileName)));
        Assert.True(File.Exists(folder.Combine("billing", AdapterModelExtensions.WeightsFileName)));
        Assert.Equal(["classifier"], AdapterConfig.Read(folder.Combine(AdapterConfig.FileName)).ModulesToSave);
        var billing = AdapterConfig.Read(folder.Combine("billing", AdapterConfig.FileName));
        Assert.Equal((2, 4.0), (billing.R, billing.LoraAlpha));
        Assert.Null(billing.ModulesToSave);

        using var fresh = SameBase(model);
        fresh.LoadAdapter(folder.Path);
        Assert.Equal(["default", "billing"], fresh.AdapterNames());
        AssertSameLora(model, fresh);
        using (model.UseAdapter("billing"))
        using (fresh.UseAdapter("billing"))
        {
            AssertSameLora(model, fresh);
            AssertSameOutput(model, fresh);
        }
    }

    [Fact]
    public void A_folder_with_other_ranks_loads_as_a_named_adapter_shaped_by_its_config()
    {
        manual_seed(13);
        using var source = new TinyNet(Uneven);
        RandomizeLora(source, seed: 3);
        using var folder = NewFolder();
        source.SaveAdapter(folder.Path);
        Assert.Equal(2, AdapterConfig.Read(folder.Combine(AdapterConfig.FileName)).RankPattern["blocks.1.value"]);

        using var model = SameBase(source); // rank 4 everywhere
        model.LoadAdapter(folder.Path, "uneven");
        using var scope = model.UseAdapter("uneven");
        Assert.Equal(2, model.ActiveLoraAdapters().Single(a => a.Path == "blocks.1.value").Adapter.Rank);
        AssertSameLora(source, model);
        AssertSameOutput(source, model);
    }

    [Fact]
    public void A_bad_named_folder_leaves_the_model_as_it_was()
    {
        using var model = WithNamedAdapters();
        using var folder = NewFolder();
        model.SaveAdapter(folder.Path);
        File.WriteAllText(folder.Combine("billing", AdapterConfig.FileName), "{ \"r\": 0 }");
        var before = Snapshot(model);

        using var fresh = new TinyNet();
        var snapshot = Snapshot(fresh);
        var error = Assert.Throws<AdapterFormatException>(() => fresh.LoadAdapter(folder.Path));
        Assert.Contains("billing", error.FilePath);
        Assert.Equal(["default"], fresh.AdapterNames());
        AssertUnchanged(snapshot, fresh);
        Assert.Throws<AdapterFormatException>(() => model.LoadAdapter(folder.Combine("billing"), "again"));
        AssertUnchanged(before, model);
    }

    [Fact]
    public void A_deleted_adapter_does_not_come_back_from_the_folder_it_was_saved_in()
    {
        using var model = WithNamedAdapters();
        using var folder = NewFolder();
        model.SaveAdapter(folder.Path);
        File.WriteAllText(folder.Combine("notes.txt"), "kept");
        model.DeleteAdapter("billing");
        model.SaveAdapter(folder.Path);

        Assert.False(Directory.Exists(folder.Combine("billing")));
        Assert.True(File.Exists(folder.Combine("notes.txt")));
    }
}
