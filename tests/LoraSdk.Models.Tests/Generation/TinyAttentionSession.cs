using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Generation;

/// <summary>
/// A real one-layer attention LM with a KV cache (float64 inside, float32 logits out), written for the tests: token
/// and learned position embeddings, single-head attention over the cache that honours the mask (padding keys get
/// −1e9) and causality, positions counted over real tokens as transformers derives them. A loop that padded or
/// masked wrongly would change a padded row's logits.
/// </summary>
internal sealed class TinyAttentionSession : IDecodingSession
{
    private const int Dim = 16, MaxPositions = 128;
    private readonly TinyAttentionWeights w;
    private Tensor? keys, values;

    public TinyAttentionSession(long batch, TinyAttentionWeights weights) => (Batch, w) = (batch, weights);

    public long Batch { get; }
    public long PastLength { get; private set; }

    public Tensor Step(Tensor ids, Tensor attentionMask)
    {
        long t = ids.shape[1], total = PastLength + t;
        Assert.Equal([Batch, total], attentionMask.shape);
        var fullMask = attentionMask.to_type(ScalarType.Int64);
        var positions = (fullMask.cumsum(1, ScalarType.Int64) - 1).clamp_min(0).narrow(1, PastLength, t);
        var x = w.Embedding.index_select(0, ids.flatten()).reshape(Batch, t, Dim) + w.Positions.index_select(0, positions.flatten()).reshape(Batch, t, Dim);
        var newKeys = x.matmul(w.Key);
        var newValues = x.matmul(w.Value);
        var allKeys = keys is null ? newKeys : cat([keys, newKeys], 1);
        var allValues = values is null ? newValues : cat([values, newValues], 1);

        var scores = x.matmul(w.Query).matmul(allKeys.transpose(1, 2)) / Math.Sqrt(Dim);           // batch × t × total
        var keyIndex = arange(total, ScalarType.Int64).reshape(1, 1, total);
        var queryIndex = arange(PastLength, total, ScalarType.Int64).reshape(1, t, 1);
        var allowed = keyIndex.le(queryIndex).logical_and(fullMask.eq(1).unsqueeze(1));
        var attention = scores.masked_fill(allowed.logical_not(), -1e9).softmax(-1).matmul(allValues);
        var hidden = (x + attention.matmul(w.Output)).tanh();
        var logits = (hidden.matmul(w.Embedding.t()) * 3).to_type(ScalarType.Float32);

        // The cache outlives the caller's per-step dispose scope.
        keys?.Dispose(); values?.Dispose();
        keys = allKeys.DetachFromDisposeScope();
        values = allValues.DetachFromDisposeScope();
        PastLength = total;
        return logits;
    }

    public void Dispose()
    {
        keys?.Dispose(); values?.Dispose();
    }

    /// <summary>The model's weights, drawn from a seed.</summary>
    internal sealed class TinyAttentionWeights
    {
        public TinyAttentionWeights(int seed, int vocab)
        {
            var random = new Random(seed);
            Tensor Draw(long rows, long cols, double scale) =>
                tensor(Enumerable.Range(0, (int)(rows * cols)).Select(_ => (random.NextDouble() * 2 - 1) * scale).ToArray(), [rows, cols]).DetachFromDisposeScope();
            Embedding = Draw(vocab, Dim, 1.0);
            Positions = Draw(MaxPositions, Dim, 1.0);
            Query = Draw(Dim, Dim, 0.5);
            Key = Draw(Dim, Dim, 0.5);
            Value = Draw(Dim, Dim, 0.5);
            Output = Draw(Dim, Dim, 0.5);
        }

        public Tensor Embedding { get; }
        public Tensor Positions { get; }
        public Tensor Query { get; }
        public Tensor Key { get; }
        public Tensor Value { get; }
        public Tensor Output { get; }

        public IDecodingSession Start(long batch) => new TinyAttentionSession(batch, this);
    }
}
