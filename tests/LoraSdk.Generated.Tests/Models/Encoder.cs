using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests.Models;

/// <summary>A plain (unannotated) container of [LoRA] blocks: names must come out as blocks.N.query.…</summary>
public sealed class Encoder : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<SelfAttention> blocks;

    public Encoder(long dim, int layers) : base(nameof(Encoder))
    {
        blocks = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => new SelfAttention(dim)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var current = x.alias();
        foreach (var block in blocks)
        {
            var next = block.call(current);
            current.Dispose();
            current = next;
        }
        return current;
    }
}
