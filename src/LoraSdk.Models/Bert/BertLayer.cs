using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// One transformer block, HuggingFace's <c>BertLayer</c>: <c>attention</c>, then the GELU feed-forward
/// (<c>intermediate.dense</c>, <c>output.dense</c>) with residual and <c>output.LayerNorm</c>.
/// </summary>
public sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;

    /// <summary>Creates the layers with <paramref name="config"/>'s sizes, randomly initialised (the importers load pretrained weights).</summary>
    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config.IntermediateSize, config);
        RegisterComponents();
    }

    /// <summary>The block's attention (its <c>Self</c> carries the LoRA adapters).</summary>
    public BertAttention Attention => attention;

    /// <summary>Hidden states (batch × sequence × hidden) in, the same shape out.</summary>
    /// <param name="hidden">(batch × sequence × hidden).</param>
    /// <param name="additiveMask">(batch × 1 × 1 × sequence): 0 where a key may be attended, a large negative number at padding.</param>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        var attended = attention.call(hidden, additiveMask);
        var expanded = intermediate.call(attended);
        return output.call(expanded, attended).MoveToOuterDisposeScope();
    }
}
