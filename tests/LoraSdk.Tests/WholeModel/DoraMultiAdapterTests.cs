using LoraSdk.Tests.Adapters;
using TorchSharp;
using static LoraSdk.Tests.Adapters.AdapterTestKit;
using static TorchSharp.torch;

namespace LoraSdk.Tests.WholeModel;

/// <summary>Named DoRA adapters: switching and merging as PEFT; per-row batches and weighted combinations refused clearly.</summary>
public sealed class DoraMultiAdapterTests
{
    private static TinyNet ModelWithDoraAdapter()
    {
        manual_seed(11);
        var model = new TinyNet();
        model.AddAdapter("dora", new LoraOptions(2, 3, useDoRA: true));
        using (model.UseAdapter("dora")) RandomizeLora(model, seed: 4);
        return model;
    }

    [Fact]
    public void APerRowBatchNamingADoraAdapterIsRefused()
    {
        var model = ModelWithDoraAdapter();
        var error = Assert.Throws<NotSupportedException>(() => model.UseAdapterPerRow(["dora", "default"]));
        Assert.Contains("uses DoRA", error.Message);
        Assert.Contains("adapter_names", error.Message);
        using (model.UseAdapterPerRow(["default", "__base__"])) { } // plain adapters still mix
    }

    [Fact]
    public void AWeightedCombinationOfADoraAdapterIsRefused()
    {
        var model = ModelWithDoraAdapter();
        var error = Assert.Throws<NotSupportedException>(() => model.AddWeightedAdapter([("default", 0.5), ("dora", 0.5)], "mix"));
        Assert.Contains("'dora'", error.Message);
        Assert.DoesNotContain("mix", model.AdapterNames());
    }

    [Fact]
    public void MergingTheActiveDoraAdapterKeepsTheOutputAndUnmergeRestoresIt()
    {
        var model = ModelWithDoraAdapter();
        model.to(float64);
        model.SetActiveAdapter("dora");
        using var unmerged = Output(model);
        model.MergeLoRA(safe: true);
        using var merged = Output(model);
        Support.Close.Relative(unmerged, merged, 1e-12);
        model.UnmergeLoRA();
        using var again = Output(model);
        Support.Close.Relative(unmerged, again, 1e-12);
    }
}
