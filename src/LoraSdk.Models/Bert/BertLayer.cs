using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>One transformer block: attention, then GELU feed-forward with residual and LayerNorm.</summary>
public sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertAttention attention;
    private readonly Linear intermediate;
    private readonly Linear output;
    private readonly LayerNorm LayerNorm;
    private readonly double _dropout;

    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = nn.Linear(config.HiddenSize, config.IntermediateSize);
        output = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        _dropout = config.HiddenDropout;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        var attended = attention.call(hidden, additiveMask);
        var expanded = nn.functional.gelu(intermediate.forward(attended));
        var projected = nn.functional.dropout(output.forward(expanded), _dropout, training);
        return LayerNorm.call(projected + attended).MoveToOuterDisposeScope();
    }
}
