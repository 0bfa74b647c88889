using LoraSdk.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>A BERT block with generated rank-8 adapters (alpha 16) on all six Linear layers.</summary>
[LoRA(rank: 8, Alpha = 16)]
public sealed partial class SdkAllLinearsLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query, key, value, attention_output, intermediate, output;
    private readonly LayerNorm attention_norm, output_norm;
    private readonly TransformerBlock _block;

    public SdkAllLinearsLayer(BertConfig config) : base(nameof(SdkAllLinearsLayer))
    {
        long d = config.HiddenSize;
        query = nn.Linear(d, d);
        key = nn.Linear(d, d);
        value = nn.Linear(d, d);
        attention_output = nn.Linear(d, d);
        intermediate = nn.Linear(d, config.IntermediateSize);
        output = nn.Linear(config.IntermediateSize, d);
        attention_norm = nn.LayerNorm(d, eps: config.LayerNormEps);
        output_norm = nn.LayerNorm(d, eps: config.LayerNormEps);
        _block = new TransformerBlock(config, attention_norm, output_norm);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask) => _block.Forward(hidden, additiveMask, training,
        x => query.forward(x), x => key.forward(x), x => value.forward(x),
        x => attention_output.forward(x), x => intermediate.forward(x), x => output.forward(x));
}
