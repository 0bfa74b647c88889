using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Grouped-query self-attention of a Llama-family layer (HuggingFace's <c>self_attn</c>: <c>q_proj</c>, <c>k_proj</c>,
/// <c>v_proj</c>, <c>o_proj</c>). Query head h reads key/value head h / (heads / kv_heads); rotary embeddings on q and
/// k; softmax(q·kᵀ/√d + mask)·v. Which projections carry adapters is chosen when the model is built
/// (<see cref="CausalLMLoadOptions.TargetModules"/>, through <see cref="LoraOptionsOverride.Targets"/>); the attribute
/// declares PEFT's defaults for the rest (rank 8, alpha 8).
/// </summary>
[LoRA(rank: 8, Alpha = 8)]
public sealed partial class DecoderAttention : nn.Module
{
#pragma warning disable IDE1006 // HuggingFace's module names are the state-dict and adapter keys
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear o_proj;
#pragma warning restore IDE1006
    private readonly DecoderConfig _config;

    /// <summary>Creates the projections with <paramref name="config"/>'s sizes, randomly initialised.</summary>
    public DecoderAttention(DecoderConfig config) : this(config, initialise: true)
    {
    }

    /// <summary>Creates the projections, randomly initialised or (for a loader that overwrites them) uninitialised.</summary>
    internal DecoderAttention(DecoderConfig config, bool initialise) : base("self_attn")
    {
        _config = config;
        long qWidth = (long)config.NumHeads * config.HeadDim, kvWidth = (long)config.NumKeyValueHeads * config.HeadDim;
        q_proj = DecoderWeights.Linear(config.HiddenSize, qWidth, config.QkvBias, initialise);
        k_proj = DecoderWeights.Linear(config.HiddenSize, kvWidth, config.QkvBias, initialise);
        v_proj = DecoderWeights.Linear(config.HiddenSize, kvWidth, config.QkvBias, initialise);
        o_proj = DecoderWeights.Linear(qWidth, config.HiddenSize, config.OutputBias, initialise);
        RegisterComponents();
    }

    /// <summary>
    /// The attention output (batch × t × hidden) for <paramref name="hidden"/> (batch × t × hidden).
    /// </summary>
    /// <param name="hidden">The normalised input of the new positions.</param>
    /// <param name="cos">Rotary cos (batch × 1 × t × head_dim).</param>
    /// <param name="sin">Rotary sin, as <paramref name="cos"/>.</param>
    /// <param name="additiveMask">(batch × 1 × t × (past + t)): 0 where a key may be attended, a large negative number elsewhere.</param>
    /// <param name="cache">The layer's keys and values of earlier positions (extended with these), or null without a cache.</param>
    internal Tensor Attend(Tensor hidden, Tensor cos, Tensor sin, Tensor additiveMask, LayerKeyValues? cache)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], t = hidden.shape[1];
        var q = RotaryEmbedding.Apply(Heads(q_proj.forward(hidden), _config.NumHeads), cos, sin);
        var k = RotaryEmbedding.Apply(Heads(k_proj.forward(hidden), _config.NumKeyValueHeads), cos, sin);
        var v = Heads(v_proj.forward(hidden), _config.NumKeyValueHeads);
        if (cache is not null) (k, v) = cache.Append(k, v);
        int groups = _config.HeadsPerKeyValue;
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, 1);
            v = v.repeat_interleave(groups, 1);
        }
        var context = nn.functional.scaled_dot_product_attention(q, k, v, additiveMask);
        var merged = context.transpose(1, 2).reshape(batch, t, (long)_config.NumHeads * _config.HeadDim);
        return o_proj.forward(merged).MoveToOuterDisposeScope();
    }

    /// <summary>(batch × t × heads·d) → (batch × heads × t × d).</summary>
    private Tensor Heads(Tensor x, int heads) => x.view(x.shape[0], x.shape[1], heads, _config.HeadDim).transpose(1, 2);
}
