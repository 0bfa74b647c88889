using System.Diagnostics.Metrics;

namespace LoraSdk.Serving;

/// <summary>
/// The server's instruments on the meter <c>LoraSdk.Serving</c> (System.Diagnostics.Metrics; read them with
/// <c>dotnet-counters</c> or OpenTelemetry): requests by outcome, batch sizes, queue time and store hits, misses and evictions.
/// </summary>
public sealed class ServingMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "LoraSdk.Serving";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _queueMilliseconds;
    private readonly Counter<long> _hits, _misses, _evictions;

    /// <summary>Creates the instruments, through <paramref name="factory"/> when the host has one.</summary>
    public ServingMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _requests = _meter.CreateCounter<long>("lorasdk.serving.requests", description: "Requests answered, by outcome (HTTP status).");
        _batchSize = _meter.CreateHistogram<int>("lorasdk.serving.batch_size", description: "Rows per batched forward.");
        _queueMilliseconds = _meter.CreateHistogram<double>("lorasdk.serving.queue_time", unit: "ms", description: "Time from queueing to the forward's start.");
        _hits = _meter.CreateCounter<long>("lorasdk.serving.store.hits", description: "Adapter lookups served from memory.");
        _misses = _meter.CreateCounter<long>("lorasdk.serving.store.misses", description: "Adapter lookups that read the adapter folder.");
        _evictions = _meter.CreateCounter<long>("lorasdk.serving.store.evictions", description: "Adapters unloaded to stay within the store's limits.");
    }

    internal void Request(int status) => _requests.Add(1, new KeyValuePair<string, object?>("status", status));

    internal void Batch(int rows) => _batchSize.Record(rows);

    internal void QueueTime(TimeSpan waited) => _queueMilliseconds.Record(waited.TotalMilliseconds);

    internal void StoreHit() => _hits.Add(1);

    internal void StoreMiss() => _misses.Add(1);

    internal void StoreEviction() => _evictions.Add(1);

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
