using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Multi-head self-attention with its output projection, residual and LayerNorm (HuggingFace's
/// BertSelfAttention + BertSelfOutput in one class). The projections are plain fields that the forward
/// calls directly, so the <c>[LoRA]</c> attribute can name any of them in <c>Targets</c>; by default
/// rank-8 adapters (alpha 16, as PEFT's usual BERT recipe) go on query and value. The generator attaches
/// them when the constructor calls <c>RegisterComponents()</c>, and freezes this class's base weights.
/// </summary>
[LoRA(rank: 8, Alpha = 16, Targets = ["query", "value"])]
public sealed partial class BertAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear output;
    private readonly LayerNorm LayerNorm;
    private readonly int _heads;
    private readonly double _attentionDropout;
    private readonly double _hiddenDropout;

    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        output = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        _heads = config.NumHeads;
        _attentionDropout = config.AttentionDropout;
        _hiddenDropout = config.HiddenDropout;
        RegisterComponents();
    }

    /// <param name="hidden">(batch × sequence × hidden).</param>
    /// <param name="additiveMask">(batch × 1 × 1 × sequence): 0 where a key may be attended, a large negative number at padding.</param>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        var q = SplitHeads(query.forward(hidden));
        var k = SplitHeads(key.forward(hidden));
        var v = SplitHeads(value.forward(hidden));
        // softmax(q·kᵀ/√d + mask)·v, the same arithmetic as HuggingFace's eager attention.
        var context = nn.functional.scaled_dot_product_attention(q, k, v, additiveMask, training ? _attentionDropout : 0.0);
        var merged = context.transpose(1, 2).reshape(hidden.shape);
        var projected = nn.functional.dropout(output.forward(merged), _hiddenDropout, training);
        return LayerNorm.call(projected + hidden).MoveToOuterDisposeScope();
    }

    /// <summary>(batch × sequence × hidden) → (batch × heads × sequence × head size).</summary>
    private Tensor SplitHeads(Tensor x) => x.view(x.shape[0], x.shape[1], _heads, -1).transpose(1, 2);
}
