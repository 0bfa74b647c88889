using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>Sentence-transformers pooling: the mean of the token vectors that the mask keeps, then L2 normalisation.</summary>
public static class Pooling
{
    /// <summary>(batch × sequence × hidden), (batch × sequence) → (batch × hidden).</summary>
    public static Tensor MeanPool(Tensor hidden, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var mask = attentionMask.to_type(hidden.dtype).unsqueeze(-1);
        var sum = (hidden * mask).sum(1);
        var count = mask.sum(1).clamp_min(1e-9);
        return (sum / count).MoveToOuterDisposeScope();
    }

    /// <summary>Each row divided by its L2 norm (at least 1e-12), as <c>F.normalize(p=2, dim=1)</c>.</summary>
    public static Tensor Normalize(Tensor embeddings) =>
        nn.functional.normalize(embeddings, p: 2, dim: 1, eps: 1e-12);

    /// <summary>Mean-pooled, normalised sentence embeddings of an encoder output.</summary>
    public static Tensor SentenceEmbedding(Tensor hidden, Tensor attentionMask)
    {
        using var pooled = MeanPool(hidden, attentionMask);
        return Normalize(pooled);
    }
}
