using LoraSdk.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>
/// The fused Linear node (one autograd node for base + update) against autograd's own graph of the same formula,
/// in float64: output and every gradient, with and without bias, 2-D and 3-D inputs, a fixed dropout mask, and
/// inputs that do not require a gradient.
/// </summary>
[Collection(SeededTorch.Name)]
public class FusedLinearBackwardTests
{
    private const long In = 6, Out = 5, Rank = 3;
    private const double Scaling = 1.7;

    public static TheoryData<bool, bool, bool> Cases()
    {
        var data = new TheoryData<bool, bool, bool>();
        foreach (bool bias in new[] { true, false })
            foreach (bool threeD in new[] { true, false })
                foreach (bool dropout in new[] { true, false })
                    data.Add(bias, threeD, dropout);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OutputAndGradientsEqualAutogradsInFloat64(bool bias, bool threeD, bool dropout)
    {
        using var scope = NewDisposeScope();
        var inputs = Inputs.Random(bias, threeD, dropout, trainBase: true);
        var upstream = randn(inputs.OutputShape, dtype: float64);

        var reference = inputs.Fresh();
        var expected = Reference(reference);
        expected.mul(upstream).sum().backward();

        var fused = inputs.Fresh();
        var actual = FusedLinearLora.Forward(fused.X, fused.W, fused.B, fused.LoraA, fused.LoraB, Scaling, fused.Mask);
        actual.mul(upstream).sum().backward();

        Assert.Equal(expected.shape, actual.shape);
        Close.Absolute(expected, actual, 1e-12);
        Close.Absolute(reference.X.grad!, fused.X.grad!, 1e-12);
        Close.Absolute(reference.LoraA.grad!, fused.LoraA.grad!, 1e-12);
        Close.Absolute(reference.LoraB.grad!, fused.LoraB.grad!, 1e-12);
        Close.Absolute(reference.W.grad!, fused.W.grad!, 1e-12);
        if (bias) Close.Absolute(reference.B!.grad!, fused.B!.grad!, 1e-12);
    }

    [Theory]
    [InlineData(false, true, true)]   // a frozen input (the first layer of a network): no input gradient
    [InlineData(true, false, true)]   // A frozen
    [InlineData(true, true, false)]   // B frozen
    public void OnlyTheGradientsThatAreNeededAreComputed(bool inputGrad, bool aGrad, bool bGrad)
    {
        using var scope = NewDisposeScope();
        var inputs = Inputs.Random(bias: true, threeD: true, dropout: true, trainBase: false);
        var upstream = randn(inputs.OutputShape, dtype: float64);

        var reference = inputs.Fresh(inputGrad, aGrad, bGrad);
        Reference(reference).mul(upstream).sum().backward();
        var fused = inputs.Fresh(inputGrad, aGrad, bGrad);
        FusedLinearLora.Forward(fused.X, fused.W, fused.B, fused.LoraA, fused.LoraB, Scaling, fused.Mask).mul(upstream).sum().backward();

        foreach (var (expected, actual) in new[] { (reference.X, fused.X), (reference.LoraA, fused.LoraA), (reference.LoraB, fused.LoraB) })
        {
            if (expected.requires_grad) Close.Absolute(expected.grad!, actual.grad!, 1e-12);
            else Assert.Null(actual.grad);
        }
        Assert.Null(fused.W.grad);
        Assert.Null(fused.B!.grad);
    }

    [Fact]
    public void WithoutAutogradTheSameOutputIsComputedDirectly()
    {
        using var scope = NewDisposeScope();
        var inputs = Inputs.Random(bias: true, threeD: true, dropout: true, trainBase: false);
        var reference = inputs.Fresh();
        var expected = Reference(reference);
        using (no_grad())
        {
            var fused = inputs.Fresh();
            var actual = FusedLinearLora.Forward(fused.X, fused.W, fused.B, fused.LoraA, fused.LoraB, Scaling, fused.Mask);
            Assert.False(actual.requires_grad);
            Close.Absolute(expected, actual, 1e-12);
        }
    }

    [Fact]
    public void TheAdaptersDropoutDrawsTheSameMaskAsAutogradsDropout()
    {
        using var scope = NewDisposeScope();
        using var model = LayerCase.Linear.CreateWithRandomFactors(dropout: 0.4);
        model.to(float64);
        model.train();
        var adapter = (LinearLoraAdapter)model.Adapter;
        var x = LayerCase.Linear.Input().to(float64).requires_grad_(true);
        var xReference = x.detach().clone().requires_grad_(true);

        torch.manual_seed(11);
        var actual = model.forward(x);
        actual.sum().backward();
        var (gradA, gradB) = (adapter.LoraA.grad!.clone(), adapter.LoraB.grad!.clone());
        adapter.zero_grad();

        torch.manual_seed(11);
        var target = (TorchSharp.Modules.Linear)adapter.Target;
        var dropped = nn.functional.dropout(xReference, 0.4, training: true);
        var expected = target.forward(xReference) + nn.functional.linear(nn.functional.linear(dropped, adapter.LoraA), adapter.LoraB) * adapter.Scaling;
        expected.sum().backward();

        Close.Absolute(expected, actual, 1e-12);
        Close.Absolute(xReference.grad!, x.grad!, 1e-12);
        Close.Absolute(adapter.LoraA.grad!, gradA, 1e-12);
        Close.Absolute(adapter.LoraB.grad!, gradB, 1e-12);
    }

    /// <summary>Autograd's composite graph: linear(x, W, b) + s·linear(linear(x⊙m, A), B).</summary>
    private static Tensor Reference(Leaves leaves)
    {
        var dropped = leaves.Mask is null ? leaves.X : leaves.X * leaves.Mask;
        var update = nn.functional.linear(nn.functional.linear(dropped, leaves.LoraA), leaves.LoraB);
        return nn.functional.linear(leaves.X, leaves.W, leaves.B) + update * Scaling;
    }

    private sealed record Leaves(Tensor X, Tensor W, Tensor? B, Tensor LoraA, Tensor LoraB, Tensor? Mask);

    /// <summary>One random draw of every tensor; <see cref="Fresh"/> gives independent leaves with the same values.</summary>
    private sealed record Inputs(Tensor X, Tensor W, Tensor? B, Tensor LoraA, Tensor LoraB, Tensor? Mask, bool TrainBase)
    {
        public long[] OutputShape => [.. X.shape[..^1], Out];

        public static Inputs Random(bool bias, bool threeD, bool dropout, bool trainBase)
        {
            long[] shape = threeD ? [2, 4, In] : [7, In];
            // Inverted dropout with p = 0.5: entries are 0 or 2, as the adapter's mask.
            var mask = dropout ? bernoulli(full(shape, 0.5, dtype: float64)).mul_(2) : null;
            return new Inputs(randn(shape, dtype: float64), randn(Out, In, dtype: float64), bias ? randn(Out, dtype: float64) : null,
                randn(Rank, In, dtype: float64), randn(Out, Rank, dtype: float64), mask, trainBase);
        }

        public Leaves Fresh(bool inputGrad = true, bool aGrad = true, bool bGrad = true) => new(
            Leaf(X, inputGrad), Leaf(W, TrainBase), B is null ? null : Leaf(B, TrainBase),
            Leaf(LoraA, aGrad), Leaf(LoraB, bGrad), Mask);

        private static Tensor Leaf(Tensor value, bool grad) => value.detach().clone().requires_grad_(grad);
    }
}
