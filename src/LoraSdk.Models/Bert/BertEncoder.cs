using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>The stack of <see cref="BertLayer"/>s (state-dict prefix <c>encoder.layer.N</c>).</summary>
public sealed class BertEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<BertLayer> layer;

    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    public IReadOnlyList<BertLayer> Layers => [.. layer];

    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        var current = hidden.alias();
        foreach (var block in layer)
        {
            // One dispose scope per layer: only the layer output survives (measured: faster and smaller
            // peak RSS than one scope per training step, see DESIGN.md).
            using var scope = NewDisposeScope();
            var next = block.call(current, additiveMask);
            current.Dispose();
            current = next.MoveToOuterDisposeScope();
        }
        return current;
    }
}
