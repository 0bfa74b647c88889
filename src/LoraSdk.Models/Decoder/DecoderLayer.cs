using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// One pre-norm block of a Llama-family model (HuggingFace's <c>model.layers.N</c>):
/// x + self_attn(input_layernorm(x)), then + mlp(post_attention_layernorm(·)).
/// </summary>
public sealed class DecoderLayer : nn.Module
{
#pragma warning disable IDE1006 // HuggingFace's module names are the state-dict and adapter keys
    private readonly DecoderAttention self_attn;
    private readonly DecoderMlp mlp;
    private readonly RmsNorm input_layernorm;
    private readonly RmsNorm post_attention_layernorm;
#pragma warning restore IDE1006

    /// <summary>Creates the block with <paramref name="config"/>'s sizes, randomly initialised.</summary>
    public DecoderLayer(DecoderConfig config) : this(config, initialise: true)
    {
    }

    /// <summary>Creates the block, randomly initialised or (for a loader that overwrites every weight) uninitialised.</summary>
    internal DecoderLayer(DecoderConfig config, bool initialise) : base(nameof(DecoderLayer))
    {
        self_attn = new DecoderAttention(config, initialise);
        mlp = new DecoderMlp(config, initialise);
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
    }

    /// <summary>The block's attention.</summary>
    public DecoderAttention SelfAttention => self_attn;

    /// <summary>The block's feed-forward.</summary>
    public DecoderMlp Mlp => mlp;

    /// <summary>Hidden states (batch × t × hidden) in, the same shape out; see <see cref="DecoderAttention"/> for the other arguments.</summary>
    internal Tensor Forward(Tensor hidden, Tensor cos, Tensor sin, Tensor additiveMask, LayerKeyValues? cache)
    {
        using var scope = NewDisposeScope();
        var attended = hidden + self_attn.Attend(input_layernorm.call(hidden), cos, sin, additiveMask, cache);
        return (attended + mlp.call(post_attention_layernorm.call(attended))).MoveToOuterDisposeScope();
    }
}
