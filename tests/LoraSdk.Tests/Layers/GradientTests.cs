using LoraSdk.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>Backpropagation reaches A and B only; the frozen base gets no gradient.</summary>
[Collection(SeededTorch.Name)]
public class GradientTests
{
    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void GradientsFlowOnlyToTheFactors(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        using var input = layerCase.Input();

        using var loss = model.forward(input).square().sum();
        loss.backward();

        Assert.All(model.Layer.named_parameters(), p => Assert.Null(p.parameter.grad));
        foreach (var (factorName, factor) in model.Adapter.ParameterNames)
        {
            Assert.NotNull(factor.grad);
            Assert.True(factor.grad!.abs().sum().item<float>() > 0, $"{factorName} got a zero gradient");
        }
    }

    [Fact]
    public void LinearFactorGradientsMatchTheirFloat64Derivation()
    {
        using var model = LayerCase.Linear.CreateWithRandomFactors();
        using var input = LayerCase.Linear.Input();
        var adapter = (LinearLoraAdapter)model.Adapter;

        using var loss = model.forward(input).sum();
        loss.backward();

        // L = Σ_n Σ_o y[n,o]  ⇒  ∂L/∂B[o,r] = s·Σ_n (A·x_n)[r],   ∂L/∂A[r,i] = s·(Σ_o B[o,r])·(Σ_n x_n[i]).
        var x = Float64Reference.F64(input);
        var a = Float64Reference.F64(adapter.LoraA);
        var b = Float64Reference.F64(adapter.LoraB);
        double s = adapter.Scaling;
        using var downSum = x.matmul(a.t()).sum(dim: 0);
        using var expectedB = downSum.unsqueeze(0).expand(b.shape[0], -1) * s;
        using var expectedA = b.sum(dim: 0).unsqueeze(1).matmul(x.sum(dim: 0).unsqueeze(0)) * s;

        Close.Relative(expectedB, adapter.LoraB.grad!, 1e-5);
        Close.Relative(expectedA, adapter.LoraA.grad!, 1e-5);
    }

    [Fact]
    public void AFreshKaimingAdapterStillTrainsB()
    {
        // B = 0 at init, so A's gradient is zero but B's is not: training starts from the base model.
        using var model = LayerCase.Linear.Create();
        using var input = LayerCase.Linear.Input();
        using var loss = model.forward(input).square().sum();
        loss.backward();
        var adapter = (LinearLoraAdapter)model.Adapter;

        Assert.Equal(0, adapter.LoraA.grad!.count_nonzero().item<long>());
        Assert.True(adapter.LoraB.grad!.count_nonzero().item<long>() > 0);
        Assert.Null(((Linear)adapter.Target).bias!.grad);
    }
}
