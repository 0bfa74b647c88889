using LoraSdk.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>
/// The arithmetic of one BERT block (attention, residual + LayerNorm, GELU feed-forward, residual + LayerNorm),
/// written once for the benchmark's blocks, which differ only in how their six projections are computed.
/// </summary>
public sealed record TransformerBlock(BertConfig Config, LayerNorm AttentionNorm, LayerNorm OutputNorm)
{
    public delegate Tensor Projection(Tensor input);

    public Tensor Forward(Tensor hidden, Tensor additiveMask, bool training,
        Projection query, Projection key, Projection value, Projection attentionOutput, Projection intermediate, Projection output)
    {
        var q = SplitHeads(query(hidden));
        var k = SplitHeads(key(hidden));
        var v = SplitHeads(value(hidden));
        var context = nn.functional.scaled_dot_product_attention(q, k, v, additiveMask, training ? Config.AttentionDropout : 0.0);
        var merged = context.transpose(1, 2).reshape(hidden.shape);
        var attended = AttentionNorm.call(nn.functional.dropout(attentionOutput(merged), Config.HiddenDropout, training) + hidden);
        var expanded = nn.functional.gelu(intermediate(attended));
        return OutputNorm.call(nn.functional.dropout(output(expanded), Config.HiddenDropout, training) + attended);
    }

    private Tensor SplitHeads(Tensor x) => x.view(x.shape[0], x.shape[1], Config.NumHeads, -1).transpose(1, 2);
}
