using LoraSdk.Data;

namespace LoraSdk.Training;

/// <summary>
/// The training data as an endless stream of micro-batches: each epoch in its own seeded order (a pure
/// function of seed and epoch), so the position in the stream is a single number a checkpoint can save.
/// </summary>
internal sealed class BatchStream
{
    private readonly IReadOnlyList<EncodedExample> _examples;
    private readonly int _batchSize;
    private readonly long _seed;
    private long _cachedEpoch = -1;
    private int[] _order = [];

    public BatchStream(IReadOnlyList<EncodedExample> examples, int batchSize, long seed)
    {
        if (examples.Count == 0) throw new ArgumentException("There are no training examples.", nameof(examples));
        _examples = examples;
        _batchSize = batchSize;
        _seed = seed;
        BatchesPerEpoch = (examples.Count + batchSize - 1) / batchSize;
    }

    public int BatchesPerEpoch { get; }

    /// <summary>The 0-based epoch that micro-batch <paramref name="position"/> belongs to.</summary>
    public long EpochOf(long position) => position / BatchesPerEpoch;

    /// <summary>The examples of micro-batch number <paramref name="position"/> (counted from the start of training).</summary>
    public IReadOnlyList<EncodedExample> At(long position)
    {
        long epoch = EpochOf(position);
        if (epoch != _cachedEpoch)
        {
            _order = DataSplit.Permutation(_examples.Count, unchecked(_seed * 1_000_003 + epoch));
            _cachedEpoch = epoch;
        }
        int start = (int)(position % BatchesPerEpoch) * _batchSize;
        int end = Math.Min(start + _batchSize, _examples.Count);
        var batch = new EncodedExample[end - start];
        for (int i = start; i < end; i++) batch[i - start] = _examples[_order[i]];
        return batch;
    }
}
