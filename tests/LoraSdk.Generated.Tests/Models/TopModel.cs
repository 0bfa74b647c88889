using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests.Models;

/// <summary>A plain (non-LoRA) top model holding [LoRA] blocks plus its own final LayerNorm and head.</summary>
public sealed class TopModel : nn.Module<Tensor, Tensor>
{
    public const long Dim = 6, Hidden = 5, Classes = 3;
    private readonly ModuleList<Mlp> blocks;
    private readonly LayerNorm norm;
    private readonly Linear head;

    public TopModel() : base(nameof(TopModel))
    {
        blocks = nn.ModuleList(new Mlp(Dim, Hidden, Dim), new Mlp(Dim, Hidden, Dim));
        norm = nn.LayerNorm(Dim);
        head = nn.Linear(Dim, Classes);
        RegisterComponents();
    }

    public Linear Head => head;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var current = x;
        foreach (var block in blocks) current = block.call(current);
        return head.forward(norm.forward(current)).MoveToOuterDisposeScope();
    }
}
