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

    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config.IntermediateSize, config);
        RegisterComponents();
    }

    public BertAttention Attention => attention;

    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        var attended = attention.call(hidden, additiveMask);
        var expanded = intermediate.call(attended);
        return output.call(expanded, attended).MoveToOuterDisposeScope();
    }
}
