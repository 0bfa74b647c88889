using LoraSdk.Quantization;
using LoraSdk.Tests.Quantization;
using LoraSdk.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>
/// The forward without autograd on W + s·B·A (<see cref="EffectiveWeightPath"/>): the same values as
/// base + s·B·A(x) in float64, taken exactly when no gradient is needed, dropout is off, the base is float and the
/// cost rule prefers it, and never changing what training computes.
/// </summary>
[Collection(SeededTorch.Name)]
public class EffectiveWeightPathTests
{
    public static TheoryData<string> ConvAndLinearNames() => [.. LayerCase.All.Where(c => c.Kind != LoraLayerKind.Embedding).Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(ConvAndLinearNames))]
    public void InferenceTakesThePathAndMatchesTheFloat64Reference(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors(dropout: 0.3); // dropout is inactive in eval
        using var input = layerCase.Input();
        model.eval();

        var (output, taken) = Forward(model, input, grad: false);

        Assert.True(taken, "the effective-weight path was not taken");
        using (output)
        {
            Close.Relative(Float64Reference.Adapted(model.Adapter, input), output, 1e-5);
            Assert.True(Close.RelativeDistance(output, Float64Reference.Base(model.Adapter, input)) > 1e-2, "the update is not visible");
        }
    }

    [Theory]
    [MemberData(nameof(ConvAndLinearNames))]
    public void InFloat64ThePathEqualsTheReferenceToRoundingError(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        model.to(float64);
        using var input = layerCase.Input().to(float64);

        var (output, taken) = Forward(model, input, grad: false);

        Assert.True(taken);
        using (output) Close.Relative(Float64Reference.Adapted(model.Adapter, input), output, 1e-12);
    }

    [Theory]
    [MemberData(nameof(PaddingModeCases))]
    public void ConvolutionsKeepTheTargetsPaddingModeAndBias(string name)
    {
        // The float64 reference zero-pads, so here the low-rank path (the target's own forward plus B(A(x))) is the
        // reference: both in float64, they agree to rounding error only if the padding mode and bias are the target's.
        var (layer, input) = PaddingModeLayer(name);
        using var model = LayerCase.Conv3x3.Adapt(layer);
        LoraFactors.Randomize(model.Adapter);
        model.to(float64);
        using var x = input.to(float64);

        var (reference, referenceTaken) = Forward(model, x, grad: true);
        var (output, taken) = Forward(model, x, grad: false);

        Assert.False(referenceTaken);
        Assert.True(taken);
        using (reference) using (output)
        {
            Close.Relative(reference, output, 1e-12);
            using var baseOutput = model.Adapter.BaseForward(x);
            Assert.True(Close.RelativeDistance(output, baseOutput) > 1e-2, "the update is not visible");
        }
    }

    public static TheoryData<string> PaddingModeCases() => ["conv2d reflect", "conv2d circular same", "conv2d replicate stride 2 no bias", "conv1d reflect same"];

    private static (nn.Module<Tensor, Tensor> Layer, Tensor Input) PaddingModeLayer(string name)
    {
        manual_seed(77);
        return name switch
        {
            "conv2d reflect" => (nn.Conv2d(3, 4, 3, padding: 1, padding_mode: PaddingModes.Reflect), randn(2, 3, 6, 5)),
            "conv2d circular same" => (nn.Conv2d(3, 4, 3, padding: Padding.Same, dilation: 2, padding_mode: PaddingModes.Circular), randn(1, 3, 7, 7)),
            "conv2d replicate stride 2 no bias" => (nn.Conv2d(3, 4, 3, stride: 2, padding: 2, padding_mode: PaddingModes.Replicate, bias: false), randn(2, 3, 7, 6)),
            "conv1d reflect same" => (nn.Conv1d(3, 4, 3, padding: Padding.Same, padding_mode: PaddingModes.Reflect), randn(2, 3, 9)),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    [Theory]
    [MemberData(nameof(ConvAndLinearNames))]
    public void WithGradEnabledThePathIsNotTakenAndGradientsAreAutogradsOwn(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        model.eval();
        using var input = layerCase.Input();

        long before = EffectiveWeightPath.TakenOnThisThread;
        using (var loss = model.forward(input).square().sum()) loss.backward();
        Assert.Equal(before, EffectiveWeightPath.TakenOnThisThread);

        // The gradients of the same loss, with autograd over the low-rank formula written out here.
        var a = LoraFactors.A(model.Adapter).detach().clone().requires_grad_(true);
        var b = LoraFactors.B(model.Adapter).detach().clone().requires_grad_(true);
        using var baseOutput = model.Adapter.BaseForward(input);
        using var update = LowRank(model.Adapter, input, a, b);
        using (var loss = (baseOutput + update * model.Adapter.Scaling).square().sum()) loss.backward();
        Close.Relative(a.grad!, LoraFactors.A(model.Adapter).grad!, 1e-5);
        Close.Relative(b.grad!, LoraFactors.B(model.Adapter).grad!, 1e-5);
    }

    [Fact]
    public void AFrozenAdapterUnderGradModeTakesThePath()
    {
        // Nothing requires a gradient (factors frozen, as after training): no graph to build, so the path applies.
        using var model = LayerCase.Linear.CreateWithRandomFactors();
        model.eval();
        foreach (var (_, p) in model.Adapter.ParameterNames) p.requires_grad = false;
        using var input = LayerCase.Linear.Input();

        var (output, taken) = Forward(model, input, grad: true);

        Assert.True(taken);
        using (output) Close.Relative(Float64Reference.Adapted(model.Adapter, input), output, 1e-5);
        using var wanting = LayerCase.Linear.Input().requires_grad_(true);
        var (_, takenWithInputGrad) = Forward(model, wanting, grad: true);
        Assert.False(takenWithInputGrad);
    }

    [Theory]
    [InlineData("Linear")]
    [InlineData("Conv2d 3x3 stride 2 padding 1")]
    public void TrainingWithActiveDropoutDoesNotTakeThePathEvenWithoutGrad(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors(dropout: 0.5);
        model.train();
        using var input = layerCase.Input();

        var (dropped, taken) = Forward(model, input, grad: false);
        Assert.False(taken);
        using (dropped) Assert.True(Close.RelativeDistance(dropped, Float64Reference.Adapted(model.Adapter, input)) > 1e-3, "dropout had no effect");

        using var noDropout = layerCase.CreateWithRandomFactors(dropout: 0);
        noDropout.train();
        var (output, takenWithoutDropout) = Forward(noDropout, input, grad: false);
        Assert.True(takenWithoutDropout);
        using (output) Close.Relative(Float64Reference.Adapted(noDropout.Adapter, input), output, 1e-5);
    }

    [Fact]
    public void AQuantizedBaseKeepsItsDequantizingPath()
    {
        using var model = new QuantizedTestModel(seed: 12);
        model.QuantizeBase(LoraBase.Int8);
        model.eval();
        using var x = randn(64, QuantizedTestModel.Width);

        long before = EffectiveWeightPath.TakenOnThisThread;
        using (no_grad()) using (var output = model.forward(x)) Assert.True(output.isfinite().all().item<bool>());
        Assert.Equal(before, EffectiveWeightPath.TakenOnThisThread);
    }

    [Fact]
    public void AFewRowsThroughAWideLinearKeepTheLowRankPath()
    {
        // One token through 64 → 64 at r = 8: the rank-8 passes (1·8·128 + 64) are far cheaper than B·A (64·64·9).
        Assert.False(EffectiveWeightPath.IsCheaper(positions: 1, fanIn: 64, outFeatures: 64, rank: 8));
        Assert.True(EffectiveWeightPath.IsCheaper(positions: 1024, fanIn: 384, outFeatures: 384, rank: 8));
        // ResNet's first stage: 3×3 convolutions 64 → 64 over 16 × 56 × 56 pixels.
        Assert.True(EffectiveWeightPath.IsCheaper(positions: 16 * 56 * 56, fanIn: 64 * 9, outFeatures: 64, rank: 8));

        manual_seed(3);
        using var model = LayerCase.Linear.Adapt(nn.Linear(64, 64));
        LoraFactors.Randomize(model.Adapter);
        model.eval();
        using var oneRow = randn(1, 64);
        var (output, taken) = Forward(model, oneRow, grad: false);
        Assert.False(taken);
        using (output) Close.Relative(Float64Reference.Adapted(model.Adapter, oneRow), output, 1e-5);

        using var manyRows = randn(64, 64);
        var (many, takenForMany) = Forward(model, manyRows, grad: false);
        Assert.True(takenForMany);
        many.Dispose();
    }

    /// <summary>The model's forward with grad mode on or off, and whether it took the effective-weight path.</summary>
    private static (Tensor Output, bool Taken) Forward(AdaptedLayer model, Tensor input, bool grad)
    {
        long before = EffectiveWeightPath.TakenOnThisThread;
        using var mode = grad ? enable_grad() : no_grad();
        var output = model.forward(input);
        return (output, EffectiveWeightPath.TakenOnThisThread == before + 1);
    }

    /// <summary>B(A(x)) for the adapter's kind, with the given factors (A: the target's geometry, B: pointwise).</summary>
    private static Tensor LowRank(LoraAdapter adapter, Tensor x, Tensor a, Tensor b) => adapter.Target switch
    {
        Linear => nn.functional.linear(nn.functional.linear(x, a), b),
        Conv2d conv => nn.functional.conv2d(
            conv.padding is { } p ? nn.functional.conv2d(x, a, null, conv.stride, p, conv.dilation) : nn.functional.conv2d_padding(x, a, null, conv.stride, conv.padding_type!.Value, conv.dilation), b),
        Conv1d conv => nn.functional.conv1d(
            conv.padding is { } p ? nn.functional.conv1d(x, a, null, conv.stride[0], p[0], conv.dilation[0]) : nn.functional.conv1d_padding(x, a, null, conv.stride[0], conv.padding_type!.Value, conv.dilation[0]), b),
        _ => throw new NotSupportedException(adapter.Target.GetType().Name),
    };
}
