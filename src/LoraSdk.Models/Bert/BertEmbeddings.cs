using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>Word + position + token-type embeddings, then LayerNorm and dropout (HuggingFace BertEmbeddings).</summary>
public sealed class BertEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
    // Field names are the state-dict names (HuggingFace's), so they stay snake_case.
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly double _dropout;

    /// <summary>Creates the layers with <paramref name="config"/>'s sizes, randomly initialised (the importers load pretrained weights).</summary>
    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize);
        position_embeddings = nn.Embedding(config.MaxPositions, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        _dropout = config.HiddenDropout;
        RegisterComponents();
    }

    /// <summary>The word-embedding table (vocabulary × hidden).</summary>
    public Embedding WordEmbeddings => word_embeddings;

    /// <param name="inputIds">Token ids, (batch × sequence), int64.</param>
    /// <param name="tokenTypeIds">Segment ids of the same shape (zeros for single sentences).</param>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        long length = inputIds.shape[1];
        var positions = arange(length, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        var sum = word_embeddings.call(inputIds) + token_type_embeddings.call(tokenTypeIds) + position_embeddings.call(positions);
        var normed = LayerNorm.call(sum);
        return nn.functional.dropout(normed, _dropout, training).MoveToOuterDisposeScope();
    }
}
