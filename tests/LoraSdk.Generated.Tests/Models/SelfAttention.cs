using LoraSdk;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests.Models;

/// <summary>The class of DESIGN.md: class defaults, a field override and an excluded layer.</summary>
[LoRA(rank: 8, Alpha = 16, Dropout = 0.05)]
public sealed partial class SelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear query, key, value;
    [LoRA(rank: 4)] private readonly Linear output;
    [NoLoRA] private readonly Linear router;

    public SelfAttention(long dim) : base(nameof(SelfAttention))
    {
        query = nn.Linear(dim, dim);
        key = nn.Linear(dim, dim);
        value = nn.Linear(dim, dim);
        output = nn.Linear(dim, dim);
        router = nn.Linear(dim, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var q = query.forward(x);
        var k = key.call(x);
        var v = value.forward(x);
        var scores = q.matmul(k.transpose(-2, -1)).div(Math.Sqrt(q.shape[^1])).softmax(-1);
        var mixed = output.call(scores.matmul(v));
        var gate = router.forward(x).sigmoid();
        return mixed.mul(gate).MoveToOuterDisposeScope();
    }
}
