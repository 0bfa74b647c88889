using LoraSdk;
using LoraSdk.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Company.LoraProject.Model;

/// <summary>
/// MiniLM's multi-head self-attention. The [LoRA] attribute is where fine-tuning is configured: the source
/// generator gives <c>query</c> and <c>value</c> a trainable low-rank adapter (scaling alpha / rank), freezes
/// the pretrained weights, and routes <c>query.forward(x)</c> below through the adapter. Add "key" to Targets
/// to adapt it too.
/// </summary>
[LoRA(rank: 8, Alpha = 16, Targets = new[] { "query", "value" })]
public sealed partial class SelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    // Field names are HuggingFace's (encoder.layer.N.attention.self.query, ...), so the adapter's keys are
    // exactly what Python PEFT writes and reads for all-MiniLM-L6-v2.
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly int _heads;
    private readonly double _dropout;

    public SelfAttention(BertConfig config) : base(nameof(SelfAttention))
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        _heads = config.NumHeads;
        _dropout = config.AttentionDropout;
        RegisterComponents(); // the generated code attaches the LoRA adapters here
    }

    /// <param name="hidden">(batch × tokens × hidden).</param>
    /// <param name="padding">(batch × 1 × 1 × tokens) additive mask: 0 for tokens, a large negative number for padding.</param>
    /// <returns>The attention context, (batch × tokens × hidden).</returns>
    public override Tensor forward(Tensor hidden, Tensor padding)
    {
        using var scope = NewDisposeScope();
        var q = Heads(query.forward(hidden));
        var k = Heads(key.forward(hidden));
        var v = Heads(value.forward(hidden));
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, padding, training ? _dropout : 0.0);
        return attended.transpose(1, 2).reshape(hidden.shape).MoveToOuterDisposeScope();
    }

    // (batch × tokens × hidden) → (batch × heads × tokens × head size)
    private Tensor Heads(Tensor x) => x.view(x.shape[0], x.shape[1], _heads, -1).transpose(1, 2);
}
