using LoraSdk.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>Folding scaling·B·A into W and taking it out again, per adapter.</summary>
[Collection(SeededTorch.Name)]
public class MergeTests
{
    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void MergedOutputEqualsUnmergedOutput(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        using var input = layerCase.Input();
        using var unmerged = model.forward(input);
        using var expected = Float64Reference.Adapted(model.Adapter, input);

        model.Adapter.Merge();

        Assert.True(model.Adapter.IsMerged);
        using var merged = model.forward(input);
        Close.Relative(unmerged, merged, 1e-5);
        Close.Relative(expected, merged, 1e-5);
        // The merged weight alone (the base layer's own forward) now gives the adapted output.
        using var baseOnly = model.Layer.forward(input);
        Assert.True(Close.Identical(baseOnly, merged));
    }

    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void MergedWeightIsWPlusScaledBA(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        using var before = model.Adapter.BaseWeight.detach().clone();
        var (a, b) = (Float64Reference.F64(LoraFactors.A(model.Adapter)), Float64Reference.F64(LoraFactors.B(model.Adapter)));

        model.Adapter.Merge();

        // Flatten every kind to the (out × in·k) matrix W' = W + s·B·A (embedding tables are the transpose).
        long rank = layerCase.Rank;
        using var product = b.reshape(b.shape[0], rank).matmul(a.reshape(rank, -1)) * model.Adapter.Scaling;
        using var delta = layerCase.Kind == LoraLayerKind.Embedding ? product.t() : product.reshape(before.shape);
        Close.Absolute(Float64Reference.F64(before) + delta, model.Adapter.BaseWeight, 1e-6);
    }

    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void UnmergeRestoresTheBaseWeight(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        using var original = model.Adapter.BaseWeight.detach().clone();
        using var input = layerCase.Input();
        using var adapted = model.forward(input);

        model.Adapter.Merge();
        model.Adapter.Unmerge();

        Assert.False(model.Adapter.IsMerged);
        Close.Absolute(original, model.Adapter.BaseWeight, 1e-6);
        using var again = model.forward(input);
        Close.Relative(adapted, again, 1e-5);
    }

    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void MergedForwardDoesNoLowRankCompute(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        using var input = layerCase.Input();
        model.Adapter.Merge();
        using var merged = model.forward(input);

        // Were A still used, NaN would reach the output.
        using (no_grad()) LoraFactors.A(model.Adapter).fill_(double.NaN);

        using var output = model.forward(input);
        Assert.True(isfinite(output).all().item<bool>());
        Assert.True(Close.Identical(output, merged));
    }

    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void MergeAndUnmergeTwiceAreNoOps(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        using var original = model.Adapter.BaseWeight.detach().clone();

        model.Adapter.Merge();
        using var once = model.Adapter.BaseWeight.detach().clone();
        model.Adapter.Merge();
        Assert.True(Close.Identical(once, model.Adapter.BaseWeight));

        model.Adapter.Unmerge();
        model.Adapter.Unmerge();
        Close.Absolute(original, model.Adapter.BaseWeight, 1e-6);
    }

    [Theory]
    [InlineData(PaddingModes.Reflect)]
    [InlineData(PaddingModes.Circular)]
    [InlineData(PaddingModes.Replicate)]
    public void NonZeroPaddingModesMergeExactly(PaddingModes mode)
    {
        // A copies the padding mode, so B∘A pads like W and folds into it exactly.
        torch.manual_seed(31);
        using var model = new AdaptedLayer(nn.Conv2d(2, 3, 3, padding: 1, padding_mode: mode), new LoraOptions(2, alpha: 3));
        LoraFactors.Randomize(model.Adapter);
        using var input = randn(1, 2, 6, 6);
        using var unmerged = model.forward(input);
        using var baseOutput = model.Layer.forward(input);

        model.Adapter.Merge();

        using var merged = model.forward(input);
        Close.Relative(unmerged, merged, 1e-5);
        Assert.True(Close.RelativeDistance(unmerged, baseOutput) > 1e-2);
    }

    public static TheoryData<string, double> CasesAndBadValues()
    {
        var data = new TheoryData<string, double>();
        foreach (var layerCase in LayerCase.All)
        {
            data.Add(layerCase.Name, double.NaN);
            data.Add(layerCase.Name, double.PositiveInfinity);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CasesAndBadValues))]
    public void SafeMergeRefusesNonFiniteWeightsAndLeavesWUntouched(string name, double bad)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        LoraFactors.Poison(LoraFactors.B(model.Adapter), bad);
        using var original = model.Adapter.BaseWeight.detach().clone();

        var error = Assert.Throws<InvalidOperationException>(() => model.Adapter.Merge(safe: true));

        Assert.Contains("layer", error.Message);
        Assert.Contains("NaN or Inf", error.Message);
        Assert.False(model.Adapter.IsMerged);
        Assert.True(Close.Identical(original, model.Adapter.BaseWeight));
    }

    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void UnsafeMergeDoesNotCheck(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        LoraFactors.Poison(LoraFactors.B(model.Adapter), double.NaN);

        model.Adapter.Merge(safe: false);

        Assert.True(model.Adapter.IsMerged);
        Assert.True(isnan(model.Adapter.BaseWeight).any().item<bool>());
    }
}
