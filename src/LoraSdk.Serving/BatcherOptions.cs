namespace LoraSdk.Serving;

/// <summary>How the batcher gathers requests into one forward (docs/serving.md, "The batch window").</summary>
public sealed class BatcherOptions
{
    /// <summary>How long the first request of a batch waits for others (default 2 ms): latency traded for throughput.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>At most this many requests per forward.</summary>
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>At most this many requests waiting; beyond it requests are refused (429) instead of queued.</summary>
    public int QueueLimit { get; set; } = 1024;

    internal void Validate()
    {
        if (Window < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Window), Window, "BatcherOptions.Window cannot be negative.");
        if (MaxBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "BatcherOptions.MaxBatchSize must be at least 1.");
        if (QueueLimit < 1) throw new ArgumentOutOfRangeException(nameof(QueueLimit), QueueLimit, "BatcherOptions.QueueLimit must be at least 1.");
    }
}
