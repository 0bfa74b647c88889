using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>The stack of <see cref="BertLayer"/>s (state-dict prefix <c>encoder.layer.N</c>).</summary>
public sealed class BertEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<BertLayer> layer;

    /// <summary>Creates the layers with <paramref name="config"/>'s sizes, randomly initialised (the importers load pretrained weights).</summary>
    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>The transformer blocks in order.</summary>
    public IReadOnlyList<BertLayer> Layers => [.. layer];

    /// <summary>Hidden states (batch × sequence × hidden) in, the same shape out.</summary>
    /// <param name="hidden">(batch × sequence × hidden).</param>
    /// <param name="additiveMask">(batch × 1 × 1 × sequence): 0 where a key may be attended, a large negative number at padding.</param>
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
