using LoraSdk.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.WholeModel;

/// <summary>Model-wide operations on a nested module tree (ModuleList of owners, Sequential of owners).</summary>
[Collection(SeededTorch.Name)]
public class ModelWideTests
{
    private static readonly string[] TargetPaths = ["blocks.0.query", "blocks.0.value", "blocks.1.query", "blocks.1.value"];

    [Fact]
    public void AdaptersAreListedWithDottedTargetPaths()
    {
        using var model = new TinyTransformer();
        Assert.Equal(TargetPaths, model.ActiveLoraAdapters().Select(a => a.Path));
        Assert.All(model.ActiveLoraAdapters(), a => Assert.Equal(a.Path.Split('.')[^1], a.Adapter.TargetName));
    }

    [Fact]
    public void ContainersOfOwnersGivePathsThroughTheirChildNames()
    {
        torch.manual_seed(5);
        var options = new LoraOptions(2, alpha: 2);
        using var model = nn.Sequential(
            ("encoder", new AdaptedLayer(nn.Linear(4, 4), options)),
            ("decoder", new AdaptedLayer(nn.Linear(4, 2), options)));

        Assert.Equal(["encoder.layer", "decoder.layer"], model.ActiveLoraAdapters().Select(a => a.Path));
    }

    [Fact]
    public void LoraParametersCarryPeftNamesAndShapes()
    {
        using var model = new TinyTransformer();
        string[] expected = TargetPaths.SelectMany(p => new[] { p + ".lora_A.weight", p + ".lora_B.weight" }).ToArray();

        var parameters = model.LoraParameters();

        Assert.Equal(expected, parameters.Select(p => p.Name));
        Assert.All(parameters.Where(p => p.Name.EndsWith("lora_A.weight")), p => Assert.Equal([TinyTransformer.Rank, TinyTransformer.Dim], p.Parameter.shape));
        Assert.All(parameters.Where(p => p.Name.EndsWith("lora_B.weight")), p => Assert.Equal([TinyTransformer.Dim, TinyTransformer.Rank], p.Parameter.shape));
    }

    [Fact]
    public void AfterFreezeBaseOnlyTheFactorsAreTrainable()
    {
        using var model = new TinyTransformer();
        model.FreezeBase();

        var count = model.CountParameters();

        const long d = TinyTransformer.Dim, c = TinyTransformer.Classes, r = TinyTransformer.Rank;
        long linear = d * d + d;
        long lora = TargetPaths.Length * r * (d + d); // Σ r·(in + out)
        Assert.Equal(lora, count.Trainable);
        Assert.Equal(TinyTransformer.BlockCount * 3 * linear + d * c + c + lora, count.Total);
        Assert.Equal(TrainableNames(model), model.LoraParameters().Select(p => ModuleKey(p.Name)).Order());
    }

    [Fact]
    public void ModulesToSaveStayTrainableByNameOrDottedPath()
    {
        using var model = new TinyTransformer();
        model.FreezeBase("head", "blocks.1.key");

        var trainable = TrainableNames(model);

        Assert.Contains("head.weight", trainable);
        Assert.Contains("head.bias", trainable);
        Assert.Contains("blocks.1.key.weight", trainable);
        Assert.DoesNotContain("blocks.0.key.weight", trainable);
        Assert.DoesNotContain("blocks.0.query.weight", trainable);
        const long d = TinyTransformer.Dim, c = TinyTransformer.Classes, r = TinyTransformer.Rank;
        Assert.Equal(TargetPaths.Length * r * 2 * d + d * c + c + d * d + d, model.CountParameters().Trainable);
    }

    [Fact]
    public void MergeAndUnmergeTheWholeTree()
    {
        using var model = new TinyTransformer();
        RandomizeAll(model);
        using var input = randn(3, TinyTransformer.Dim);
        using var adapted = model.forward(input);
        var originals = model.ActiveLoraAdapters().Select(a => a.Adapter.BaseWeight.detach().clone()).ToList();

        model.MergeLoRA();
        Assert.All(model.ActiveLoraAdapters(), a => Assert.True(a.Adapter.IsMerged));
        using var merged = model.forward(input);
        Close.Relative(adapted, merged, 1e-5);

        model.UnmergeLoRA();
        Assert.All(model.ActiveLoraAdapters(), a => Assert.False(a.Adapter.IsMerged));
        foreach (var (original, (_, adapter)) in originals.Zip(model.ActiveLoraAdapters()))
            Close.Absolute(original, adapter.BaseWeight, 1e-6);
    }

    [Fact]
    public void SafeModelMergeIsAllOrNothing()
    {
        using var model = new TinyTransformer();
        RandomizeAll(model);
        var adapters = model.ActiveLoraAdapters().Select(a => a.Adapter).ToList();
        LoraFactors.Poison(LoraFactors.B(adapters[^1]), double.NaN); // earlier adapters would merge fine
        var originals = adapters.Select(a => a.BaseWeight.detach().clone()).ToList();

        var error = Assert.Throws<InvalidOperationException>(() => model.MergeLoRA(safe: true));

        Assert.Contains("blocks.1.value", error.Message);
        Assert.All(adapters, a => Assert.False(a.IsMerged));
        foreach (var (original, adapter) in originals.Zip(adapters))
            Assert.True(Close.Identical(original, adapter.BaseWeight), $"{adapter.TargetName}'s weight changed");
    }

    [Fact]
    public void DisableLoRAGivesBaseOutputsUntilDisposed()
    {
        using var model = new TinyTransformer();
        using var input = randn(3, TinyTransformer.Dim);
        using var baseOutput = model.forward(input); // B = 0 at init: exactly the base model
        RandomizeAll(model);
        using var adapted = model.forward(input);
        Assert.True(Close.RelativeDistance(adapted, baseOutput) > 1e-2);

        var disabled = model.DisableLoRA();
        using (var off = model.forward(input)) Assert.True(Close.Identical(baseOutput, off));
        disabled.Dispose();
        disabled.Dispose(); // idempotent

        using var on = model.forward(input);
        Assert.True(Close.Identical(adapted, on));
    }

    [Fact]
    public void DisableLoRAOnAMergedModelGivesBaseOutputsAndMergesAgainAfterwards()
    {
        using var model = new TinyTransformer();
        using var input = randn(3, TinyTransformer.Dim);
        using var baseOutput = model.forward(input);
        RandomizeAll(model);
        using var adapted = model.forward(input);
        model.MergeLoRA();

        using (model.DisableLoRA())
        {
            using var off = model.forward(input);
            Close.Relative(baseOutput, off, 1e-6);
        }

        Assert.All(model.ActiveLoraAdapters(), a => Assert.True(a.Adapter.IsMerged));
        using var on = model.forward(input);
        Close.Relative(adapted, on, 1e-5);
    }

    [Fact]
    public void NestedDisableKeepsAdaptersOffUntilTheOuterScopeEnds()
    {
        using var model = new TinyTransformer();
        var outer = model.DisableLoRA();
        var inner = model.DisableLoRA();

        inner.Dispose();
        Assert.All(model.ActiveLoraAdapters(), a => Assert.False(a.Adapter.Enabled));
        outer.Dispose();
        Assert.All(model.ActiveLoraAdapters(), a => Assert.True(a.Adapter.Enabled));
    }

    private static void RandomizeAll(nn.Module model)
    {
        foreach (var (_, adapter) in model.ActiveLoraAdapters()) LoraFactors.Randomize(adapter);
    }

    private static List<string> TrainableNames(nn.Module model) =>
        model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).Order().ToList();

    /// <summary>Where a LoRA parameter is registered: <c>blocks.0.query.lora_A.weight</c> lives in <c>blocks.0.query_lora</c>.</summary>
    private static string ModuleKey(string loraName)
    {
        int cut = loraName.IndexOf(".lora_", StringComparison.Ordinal);
        return loraName[..cut] + "_lora" + loraName[cut..];
    }
}
