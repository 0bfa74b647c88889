using LoraSdk;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Company.LoraProject.Model;

/// <summary>
/// A pre-norm transformer block: x + attention(norm(x)), then x + MLP(norm(x)). The [LoRA] attribute is where
/// fine-tuning is configured: the source generator gives every Linear field below a trainable low-rank adapter
/// (scaling alpha / rank), freezes the base weights and routes <c>query.forward(x)</c> etc. through the adapter.
/// Restrict it with Targets = new[] { "query", "value" }, or exclude a field with [NoLoRA].
/// </summary>
[LoRA(rank: 8, Alpha = 16)]
public sealed partial class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm attentionNorm;
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear output;
    private readonly LayerNorm mlpNorm;
    private readonly Linear up;
    private readonly Linear down;
    private readonly int _heads;

    public TransformerBlock(int dimension, int heads) : base(nameof(TransformerBlock))
    {
        attentionNorm = nn.LayerNorm(dimension);
        query = nn.Linear(dimension, dimension);
        key = nn.Linear(dimension, dimension);
        value = nn.Linear(dimension, dimension);
        output = nn.Linear(dimension, dimension);
        mlpNorm = nn.LayerNorm(dimension);
        up = nn.Linear(dimension, 4 * dimension);
        down = nn.Linear(4 * dimension, dimension);
        _heads = heads;
        RegisterComponents(); // the generated code attaches the LoRA adapters here
    }

    /// <param name="x">(batch × tokens × dimension); each position attends to itself and earlier ones only.</param>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var normed = attentionNorm.call(x);
        var attended = nn.functional.scaled_dot_product_attention(
            Heads(query.forward(normed)), Heads(key.forward(normed)), Heads(value.forward(normed)), is_casual: true);
        x = x + output.forward(attended.transpose(1, 2).reshape(x.shape));
        var hidden = nn.functional.gelu(up.forward(mlpNorm.call(x)));
        return (x + down.forward(hidden)).MoveToOuterDisposeScope();
    }

    // (batch × tokens × dimension) → (batch × heads × tokens × head size)
    private Tensor Heads(Tensor x) => x.view(x.shape[0], x.shape[1], _heads, -1).transpose(1, 2);
}
