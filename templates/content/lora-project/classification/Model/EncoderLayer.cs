using LoraSdk.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Company.LoraProject.Model;

/// <summary>One transformer block of MiniLM: self-attention, then a GELU feed-forward with residual and LayerNorm.</summary>
public sealed class EncoderLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly SelfAttention attention;
    private readonly Linear intermediate;
    private readonly Linear output;
    private readonly LayerNorm LayerNorm;
    private readonly double _dropout;

    public EncoderLayer(BertConfig config) : base(nameof(EncoderLayer))
    {
        attention = new SelfAttention(config);
        intermediate = nn.Linear(config.HiddenSize, config.IntermediateSize);
        output = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        _dropout = config.HiddenDropout;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor padding)
    {
        using var scope = NewDisposeScope();
        var attended = attention.call(hidden, padding);
        var expanded = nn.functional.gelu(intermediate.forward(attended));
        var projected = nn.functional.dropout(output.forward(expanded), _dropout, training);
        return LayerNorm.call(projected + attended).MoveToOuterDisposeScope();
    }
}
