using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Self-attention, then its output projection with residual and LayerNorm: HuggingFace's
/// <c>BertAttention</c> with children <c>self</c> (<see cref="BertSelfAttention"/>) and <c>output</c>
/// (<see cref="BertOutput"/>: <c>dense</c>, <c>LayerNorm</c>), so parameters are named
/// <c>attention.self.query.weight</c>, <c>attention.output.dense.weight</c>, … as in HuggingFace checkpoints.
/// </summary>
public sealed class BertAttention : nn.Module<Tensor, Tensor, Tensor>
{
    // "self" is HuggingFace's child name; TorchSharp registers fields under their names (without the @).
    private readonly BertSelfAttention @self;
    private readonly BertOutput output;

    /// <summary>Creates the layers with <paramref name="config"/>'s sizes, randomly initialised (the importers load pretrained weights).</summary>
    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        @self = new BertSelfAttention(config);
        output = new BertOutput(config.HiddenSize, config);
        RegisterComponents();
    }

    /// <summary>The attention that carries the query/value LoRA adapters.</summary>
    public BertSelfAttention Self => @self;

    /// <summary>Hidden states (batch × sequence × hidden) in, the same shape out.</summary>
    /// <param name="hidden">(batch × sequence × hidden).</param>
    /// <param name="additiveMask">(batch × 1 × 1 × sequence): 0 where a key may be attended, a large negative number at padding.</param>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var context = @self.call(hidden, additiveMask);
        return output.call(context, hidden);
    }
}
