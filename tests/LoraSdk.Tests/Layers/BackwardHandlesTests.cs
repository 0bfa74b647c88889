using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>
/// <see cref="BackwardHandles"/>: the handles TorchSharp's custom-autograd wrapper leaves to a node's backward are
/// released (the incoming gradient's at once, the returned ones at the next backward on the thread), and gradients
/// through the fused node stay correct when several nodes run backward one after another, step after step.
/// </summary>
[Collection(Support.SeededTorch.Name)]
public class BackwardHandlesTests
{
    [Fact]
    public void TheIncomingGradientIsReleasedAtOnceAndTheReturnedOnesAtTheNextBackward()
    {
        var gradOutput = ones(4, 3);
        var first = new List<Tensor>([ones(3), null!]);
        Assert.Same(first, BackwardHandles.Finish(gradOutput, first));
        Assert.True(gradOutput.IsInvalid, "the incoming gradient's handle was kept");
        Assert.False(first[0].IsInvalid, "a returned gradient was released before libtorch could take it");

        var nextOutput = ones(4, 3);
        var second = new List<Tensor>([ones(3)]);
        BackwardHandles.Finish(nextOutput, second);
        Assert.True(first[0].IsInvalid, "the previous backward's returned gradient was not released");
        Assert.False(second[0].IsInvalid);
        second[0].Dispose();
    }

    [Fact]
    public void StackedAdaptedLinearsGiveTheSameGradientsStepAfterStep()
    {
        // Three fused nodes in a row, so each backward releases the previous one's returned gradients while
        // libtorch is still using its own references to them; two steps must agree exactly.
        var layers = Enumerable.Range(0, 3).Select(i => new LinearLoraAdapter($"l{i}", nn.Linear(6, 6).to(float64), new LoraOptions(rank: 2, alpha: 4))).ToList();
        foreach (var layer in layers)
            using (no_grad()) { layer.LoraB.normal_(); }
        using var input = randn(5, 6, dtype: float64);

        var steps = new List<Tensor[]>();
        for (int step = 0; step < 2; step++)
        {
            using var scope = NewDisposeScope();
            using var x = input.clone().requires_grad_(true);
            Tensor hidden = x;
            foreach (var layer in layers) hidden = layer.forward(hidden).tanh();
            hidden.sum().backward();
            steps.Add([.. layers.SelectMany(l => new[] { l.LoraA.grad!.clone(), l.LoraB.grad!.clone() }), x.grad!.clone()]);
            foreach (var t in steps[^1]) t.MoveToOuterDisposeScope();
            foreach (var layer in layers) { layer.LoraA.grad!.zero_(); layer.LoraB.grad!.zero_(); }
        }
        for (int i = 0; i < steps[0].Length; i++)
            Assert.True(steps[0][i].equal(steps[1][i]).all().item<bool>(), $"gradient {i} differs between two identical steps");
        Assert.True(steps[0][^1].abs().sum().item<double>() > 0, "no input gradient reached the input");
    }
}
