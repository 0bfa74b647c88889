using LoraSdk.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>
/// PiSSA moves the best rank-r part of W into the factors (scaling·B·A = U_r·S_r·V_rᵀ) and keeps the
/// residual in W, so the initial output is unchanged.
/// </summary>
[Collection(SeededTorch.Name)]
public class PissaTests
{
    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void TheInitialOutputIsUnchanged(string name)
    {
        var layerCase = LayerCase.Named(name);
        var layer = layerCase.CreateLayer();
        using var original = Weight(layer).detach().clone();
        using var input = layerCase.Input();
        using var expected = layer.forward(input); // before the adapter exists

        using var pissa = layerCase.Adapt(layer, LoraInit.PiSSA);

        using var actual = pissa.forward(input);
        Close.Relative(expected, actual, 1e-5);
        Assert.True(Close.RelativeDistance(pissa.Adapter.BaseWeight, original) > 1e-2, "W kept its principal part");
    }

    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void FactorsAreTheTopSingularTriplets(string name)
    {
        var layerCase = LayerCase.Named(name);
        var layer = layerCase.CreateLayer();
        using var original = AsMatrix(layerCase, Weight(layer));
        using var pissa = layerCase.Adapt(layer, LoraInit.PiSSA);
        int r = layerCase.Rank;
        double s = pissa.Adapter.Scaling;

        var (u, singular, vh) = linalg.svd(original, fullMatrices: false);
        using var best = (u[.., ..r] * singular[..r].unsqueeze(0)).matmul(vh[..r]);
        using var a = Float64Reference.F64(LoraFactors.A(pissa.Adapter)).reshape(r, -1);
        using var b = Float64Reference.F64(LoraFactors.B(pissa.Adapter)).reshape(-1, r);

        // scaling·B·A is the best rank-r approximation and W holds the rest.
        Close.Relative(best, b.matmul(a) * s, 1e-5);
        Close.Absolute(original - best, AsMatrix(layerCase, pissa.Adapter.BaseWeight), 1e-5);
        // A = √(S_r/s)·V_rᵀ and B = U_r·√(S_r/s): orthogonal rows/columns with squared norms S_r/s.
        using var gram = diag(singular[..r] / s);
        Close.Relative(gram, a.matmul(a.t()), 1e-5);
        Close.Relative(gram, b.t().matmul(b), 1e-5);
    }

    [Fact]
    public void ResetLoRAAfterLoadingBaseWeightsDecomposesTheLoadedWeights()
    {
        var layerCase = LayerCase.Linear;
        using var pretrained = layerCase.Create(LoraInit.Kaiming, seed: 77); // stands in for a checkpoint
        using var model = layerCase.Create(LoraInit.PiSSA);
        using var input = layerCase.Input();
        using (no_grad())
        {
            foreach (var (name, parameter) in pretrained.Layer.named_parameters())
                model.Layer.get_parameter(name)!.copy_(parameter);
        }
        using var expected = pretrained.forward(input);
        using var stale = model.forward(input);
        Assert.True(Close.RelativeDistance(stale, expected) > 1e-2, "the stale factors should change the output");

        model.ResetLoRA();

        using var output = model.forward(input);
        Close.Relative(expected, output, 1e-5);
    }

    [Fact]
    public void ResetLoRARefusesMergedAdapters()
    {
        using var model = LayerCase.Linear.Create(LoraInit.PiSSA);
        model.MergeLoRA();
        var error = Assert.Throws<InvalidOperationException>(() => model.ResetLoRA());
        Assert.Contains("layer", error.Message);
        Assert.Contains("UnmergeLoRA", error.Message);
    }

    [Fact]
    public void ARankAboveTheWeightsRankIsRejected()
    {
        torch.manual_seed(3);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new AdaptedLayer(nn.Linear(3, 2), new LoraOptions(3, alpha: 3, init: LoraInit.PiSSA)));
        Assert.Contains("rank limit 2", error.Message);
    }

    private static Tensor Weight(nn.Module layer) => layer.named_parameters().Single(p => p.name == "weight").parameter;

    /// <summary>The weight as the (out × in·k) matrix that B·A approximates; an embedding table is transposed.</summary>
    private static Tensor AsMatrix(LayerCase layerCase, Tensor weight)
    {
        var w = Float64Reference.F64(weight);
        return layerCase.Kind == LoraLayerKind.Embedding ? w.t() : w.reshape(w.shape[0], -1);
    }
}
