using LoraSdk.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>
/// The MiniLM-shaped classifier of <see cref="SequenceClassifier"/> with the transformer block supplied by the caller:
/// the same embeddings, mask, per-layer dispose scopes, mean pooling and head, so variants differ only in their blocks.
/// </summary>
public sealed class BenchEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertEmbeddings embeddings;
    private readonly ModuleList<nn.Module<Tensor, Tensor, Tensor>> layer;
    private readonly Linear classifier;
    private readonly double _dropout;

    public BenchEncoder(BertConfig config, int labels, Func<BertConfig, nn.Module<Tensor, Tensor, Tensor>> createLayer) : base(nameof(BenchEncoder))
    {
        embeddings = new BertEmbeddings(config);
        layer = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(_ => createLayer(config)).ToArray());
        classifier = nn.Linear(config.HiddenSize, labels);
        _dropout = config.HiddenDropout;
        RegisterComponents();
    }

    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = embeddings.call(inputIds, zeros_like(inputIds));
        var mask = BertModel.AdditiveMask(attentionMask, hidden.dtype);
        foreach (var block in layer)
        {
            using var layerScope = NewDisposeScope();
            var next = block.call(hidden, mask);
            hidden = next.MoveToOuterDisposeScope();
        }
        var pooled = nn.functional.dropout(Pooling.MeanPool(hidden, attentionMask), _dropout, training);
        return classifier.forward(pooled).MoveToOuterDisposeScope();
    }
}
