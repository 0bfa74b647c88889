using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Multi-head scaled-dot-product attention (HuggingFace's <c>BertSelfAttention</c>, state-dict names
/// <c>encoder.layer.N.attention.self.{query,key,value}</c>). The projections are plain fields that the
/// forward calls directly; rank-8 adapters (alpha 16, PEFT's usual BERT recipe) go on query and value, so
/// adapter keys are exactly what PEFT's <c>target_modules=["query","value"]</c> writes for HuggingFace's BERT.
/// The generator attaches them when the constructor calls <c>RegisterComponents()</c>, and freezes this
/// class's base weights.
/// </summary>
[LoRA(rank: 8, Alpha = 16, Targets = ["query", "value"])]
public sealed partial class BertSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly int _heads;
    private readonly double _dropout;

    /// <summary>Creates the layers with <paramref name="config"/>'s sizes, randomly initialised (the importers load pretrained weights).</summary>
    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        _heads = config.NumHeads;
        _dropout = config.AttentionDropout;
        RegisterComponents();
    }

    /// <param name="hidden">(batch × sequence × hidden).</param>
    /// <param name="additiveMask">(batch × 1 × 1 × sequence): 0 where a key may be attended, a large negative number at padding.</param>
    /// <returns>The attention context, heads merged back: (batch × sequence × hidden).</returns>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        var q = SplitHeads(query.forward(hidden));
        var k = SplitHeads(key.forward(hidden));
        var v = SplitHeads(value.forward(hidden));
        // softmax(q·kᵀ/√d + mask)·v, the same arithmetic as HuggingFace's eager attention.
        var context = nn.functional.scaled_dot_product_attention(q, k, v, additiveMask, training ? _dropout : 0.0);
        return context.transpose(1, 2).reshape(hidden.shape).MoveToOuterDisposeScope();
    }

    /// <summary>(batch × sequence × hidden) → (batch × heads × sequence × head size).</summary>
    private Tensor SplitHeads(Tensor x) => x.view(x.shape[0], x.shape[1], _heads, -1).transpose(1, 2);
}
