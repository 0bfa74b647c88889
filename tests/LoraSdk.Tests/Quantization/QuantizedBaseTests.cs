using LoraSdk.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Quantization;

/// <summary>
/// A quantized base computes exactly what a float base holding the dequantized values computes (outputs and the
/// gradients of input, A and B), checked bit for bit against that float32 twin and against a float64 reference.
/// </summary>
[Collection(SeededTorch.Name)]
public class QuantizedBaseTests
{
    public static TheoryData<LoraBase> Kinds() => new() { LoraBase.Int8, LoraBase.Nf4, LoraBase.Nf4DoubleQuant };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void OutputAndGradientsEqualAFloatBaseOfTheDequantizedWeights(LoraBase kind)
    {
        using var scope = NewDisposeScope();
        using var model = new QuantizedTestModel(seed: 5, dropout: 0.2);
        model.QuantizeBase(kind);
        using var twin = QuantizedTestModel.FloatTwinOf(model, seed: 5, dropout: 0.2);
        model.train(); twin.train();
        manual_seed(9);
        var x = randn(2, 6, QuantizedTestModel.Width);
        var upstream = randn(2, 6, 3);

        var (output, inputGrad) = Run(model, x, upstream, seed: 11);
        var (twinOutput, twinInputGrad) = Run(twin, x, upstream, seed: 11);

        Assert.True(Close.Identical(twinOutput, output));
        Assert.True(Close.Identical(twinInputGrad, inputGrad));
        foreach (var ((name, p), (_, q)) in model.LoraParameters().Zip(twin.LoraParameters()))
            Assert.True(Close.Identical(q.grad!, p.grad!), name);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void GradientsMatchAFloat64ReferenceBuiltFromTheDequantizedWeights(LoraBase kind)
    {
        using var scope = NewDisposeScope();
        using var model = new QuantizedTestModel(seed: 6);
        model.QuantizeBase(kind);
        var adapter = (LinearLoraAdapter)model.Up;
        var layer = model.UpLayer;
        manual_seed(10);
        var x = randn(4, QuantizedTestModel.Width, requires_grad: true);
        var upstream = randn(4, QuantizedTestModel.Hidden, dtype: float64);
        var y = LoraRouter.Forward(layer, x, "up");
        y.to(float64).mul(upstream).sum().backward();

        // float64: y = x·Wᵀ + b + s·x·Aᵀ·Bᵀ with W the dequantized weight.
        var w = adapter.QuantizedBase!.Dequantize(float64).requires_grad_(false);
        var x64 = x.detach().to(float64).requires_grad_(true);
        var a64 = adapter.LoraA.detach().to(float64).requires_grad_(true);
        var b64 = adapter.LoraB.detach().to(float64).requires_grad_(true);
        var expected = x64.matmul(w.t()) + layer.bias!.detach().to(float64) + x64.matmul(a64.t()).matmul(b64.t()) * adapter.Scaling;
        expected.mul(upstream).sum().backward();

        Close.Relative(expected, y, 1e-5);
        Close.Relative(x64.grad!, x.grad!, 1e-5);
        Close.Relative(a64.grad!, adapter.LoraA.grad!, 1e-5);
        Close.Relative(b64.grad!, adapter.LoraB.grad!, 1e-5);
    }

    [Fact]
    public void DisabledAdaptersRunTheDequantizedBaseWithItsInputGradient()
    {
        using var scope = NewDisposeScope();
        using var model = new QuantizedTestModel(seed: 7);
        model.QuantizeBase(LoraBase.Nf4);
        using var twin = QuantizedTestModel.FloatTwinOf(model, seed: 7);
        manual_seed(12);
        var x = randn(3, QuantizedTestModel.Width);
        var upstream = randn(3, 3);
        using (model.DisableLoRA())
        using (twin.DisableLoRA())
        {
            var (output, grad) = Run(model, x, upstream, seed: 1);
            var (twinOutput, twinGrad) = Run(twin, x, upstream, seed: 1);
            Assert.True(Close.Identical(twinOutput, output));
            Assert.True(Close.Identical(twinGrad, grad));
        }
    }

    [Fact]
    public void CallRunsTheTargetsHooksOnTheDequantizedWeight()
    {
        using var scope = NewDisposeScope();
        using var model = new QuantizedTestModel(seed: 8);
        model.QuantizeBase(LoraBase.Int8);
        using var twin = QuantizedTestModel.FloatTwinOf(model, seed: 8);
        manual_seed(13);
        var x = randn(3, QuantizedTestModel.Width);
        var viaCall = LoraRouter.Call(model.UpLayer, x, "up");
        var viaTwin = LoraRouter.Call(twin.UpLayer, x, "up");
        Assert.True(Close.Identical(viaTwin, viaCall));
        Assert.Equal(0, model.UpLayer.weight.numel()); // the placeholder is back
    }

    private static (Tensor Output, Tensor InputGrad) Run(nn.Module<Tensor, Tensor> model, Tensor x, Tensor upstream, long seed)
    {
        var input = x.detach().clone().requires_grad_(true);
        manual_seed(seed); // the same dropout masks in both models
        var output = model.call(input);
        output.mul(upstream).sum().backward();
        return (output.detach(), input.grad!);
    }
}
