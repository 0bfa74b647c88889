using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Company.LoraProject.Model;

/// <summary>
/// One transformer block of MiniLM, laid out as HuggingFace's BertLayer: <c>attention</c> (<c>self</c> + its
/// <c>output</c> projection, residual and LayerNorm), then the GELU feed-forward <c>intermediate</c> and
/// <c>output</c> with residual and LayerNorm. Only <see cref="SelfAttention"/> carries LoRA adapters.
/// </summary>
public sealed class EncoderLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Attention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;

    public EncoderLayer(BertConfig config) : base(nameof(EncoderLayer))
    {
        attention = new Attention(config);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config.IntermediateSize, config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor padding)
    {
        using var scope = NewDisposeScope();
        var attended = attention.call(hidden, padding);
        return output.call(intermediate.call(attended), attended).MoveToOuterDisposeScope();
    }

    /// <summary>HuggingFace's BertAttention: children <c>self</c> and <c>output</c> (dense + LayerNorm).</summary>
    private sealed class Attention : nn.Module<Tensor, Tensor, Tensor>
    {
        private readonly SelfAttention @self; // registered as "self", HuggingFace's name
        private readonly BertOutput output;

        public Attention(BertConfig config) : base(nameof(Attention))
        {
            @self = new SelfAttention(config);
            output = new BertOutput(config.HiddenSize, config);
            RegisterComponents();
        }

        public override Tensor forward(Tensor hidden, Tensor padding)
        {
            using var context = @self.call(hidden, padding);
            return output.call(context, hidden);
        }
    }
}
