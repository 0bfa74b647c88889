using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// LayerNorm(dropout(dense(x)) + residual): HuggingFace's <c>BertSelfOutput</c> (after attention, in = hidden)
/// and <c>BertOutput</c> (after the feed-forward, in = intermediate size) are this same block; its children are
/// <c>dense</c> and <c>LayerNorm</c> as in their state dicts.
/// </summary>
public sealed class BertOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly double _dropout;

    /// <summary>A projection from <paramref name="inFeatures"/> to the hidden size, then dropout, residual and LayerNorm.</summary>
    public BertOutput(int inFeatures, BertConfig config) : base(nameof(BertOutput))
    {
        dense = nn.Linear(inFeatures, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        _dropout = config.HiddenDropout;
        RegisterComponents();
    }

    /// <param name="hidden">The block's input to project, (… × inFeatures).</param>
    /// <param name="residual">The block input added back, (… × hidden).</param>
    public override Tensor forward(Tensor hidden, Tensor residual)
    {
        using var scope = NewDisposeScope();
        var projected = nn.functional.dropout(dense.forward(hidden), _dropout, training);
        return LayerNorm.call(projected + residual).MoveToOuterDisposeScope();
    }
}
