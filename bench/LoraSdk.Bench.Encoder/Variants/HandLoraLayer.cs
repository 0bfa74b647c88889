using LoraSdk.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>A BERT block built from <see cref="HandLoraLinear"/>s: adapted on query and value, or on all six Linears.</summary>
public sealed class HandLoraLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> query, key, value, attention_output, intermediate, output;
    private readonly LayerNorm attention_norm, output_norm;
    private readonly TransformerBlock _block;

    public HandLoraLayer(BertConfig config, int rank, bool allLinears) : base(nameof(HandLoraLayer))
    {
        long d = config.HiddenSize;
        nn.Module<Tensor, Tensor> Projection(long inFeatures, long outFeatures, bool adapted) =>
            adapted ? new HandLoraLinear(inFeatures, outFeatures, rank, alpha: 2.0 * rank) : nn.Linear(inFeatures, outFeatures);
        query = Projection(d, d, adapted: true);
        key = Projection(d, d, allLinears);
        value = Projection(d, d, adapted: true);
        attention_output = Projection(d, d, allLinears);
        intermediate = Projection(d, config.IntermediateSize, allLinears);
        output = Projection(config.IntermediateSize, d, allLinears);
        attention_norm = nn.LayerNorm(d, eps: config.LayerNormEps);
        output_norm = nn.LayerNorm(d, eps: config.LayerNormEps);
        _block = new TransformerBlock(config, attention_norm, output_norm);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask) => _block.Forward(hidden, additiveMask, training,
        query.forward, key.forward, value.forward, attention_output.forward, intermediate.forward, output.forward);
}
