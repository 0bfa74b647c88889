using System.Diagnostics;
using System.Threading.Channels;

namespace LoraSdk.Serving;

/// <summary>
/// Gathers concurrent requests that name different adapters into one forward with a per-row adapter scope: the first
/// request waits at most <see cref="BatcherOptions.Window"/> for others, up to <see cref="BatcherOptions.MaxBatchSize"/>.
/// One worker runs every forward (the model's adapter state is shared), through <see cref="AdapterStore.Use{T}"/>,
/// so each caller gets exactly what a forward with its adapter alone gives. Requests naming an unknown or unusable
/// adapter fail alone; the rest of their batch runs.
/// </summary>
public sealed class AdapterBatcher<TRequest, TResult> : IAsyncDisposable
{
    private readonly AdapterStore _store;
    private readonly IServableModel<TRequest, TResult> _model;
    private readonly BatcherOptions _options;
    private readonly ServingMetrics? _metrics;
    private readonly Channel<Pending> _queue;
    private readonly Task _worker;
    private readonly int _maxDistinct;
    private readonly string? _mergedAdapter;
    private volatile bool _stopping;

    /// <summary>Starts the worker.</summary>
    /// <param name="store">Resolves adapter names into the model's adapters.</param>
    /// <param name="model">The servable model (its <see cref="IServableModel{TRequest, TResult}.Module"/> is the store's model).</param>
    /// <param name="options">Window, batch size and queue limit.</param>
    /// <param name="metrics">Where batch sizes and queue times go, if anywhere.</param>
    /// <param name="maxDistinctAdapters">At most this many adapters per forward (the store's MaxAdapters, so a batch fits in memory).</param>
    /// <param name="mergedAdapter">
    /// Set when the model has this one adapter merged into its base weights (<c>LoraServingOptions.MergedAdapter</c>):
    /// requests naming it run with no per-row scope (no LoRA compute), requests naming any other get 404; the store is
    /// not consulted.
    /// </param>
    public AdapterBatcher(AdapterStore store, IServableModel<TRequest, TResult> model, BatcherOptions options, ServingMetrics? metrics = null,
        int maxDistinctAdapters = int.MaxValue, string? mergedAdapter = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _store = store;
        _model = model;
        _options = options;
        _metrics = metrics;
        _maxDistinct = Math.Max(1, maxDistinctAdapters);
        _mergedAdapter = mergedAdapter;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.QueueLimit) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _worker = Task.Factory.StartNew(WorkAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>
    /// Queues <paramref name="request"/> for adapter <paramref name="adapter"/> and completes with its answer.
    /// Throws <see cref="ServingRequestException"/>: 400 bad input (checked now), 429 queue full, 503 stopping;
    /// the task faults with 404/422 when the adapter is unknown or does not load.
    /// </summary>
    public Task<TResult> SubmitAsync(string adapter, TRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        _model.Validate(request);
        if (_stopping) throw new ServerBusyException(stopping: true);
        var pending = new Pending(adapter, request, _model.BatchKey(request), Stopwatch.GetTimestamp(), cancellationToken);
        if (!_queue.Writer.TryWrite(pending)) throw new ServerBusyException(stopping: _stopping);
        return pending.Completion.Task;
    }

    /// <summary>From now on new requests are refused (503); queued ones are still answered.</summary>
    public void StopAccepting() => _stopping = true;

    /// <summary>Stops taking requests and completes once every queued one is answered (graceful drain).</summary>
    public async Task DrainAsync()
    {
        _stopping = true;
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(DrainAsync());

    private async Task WorkAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_options.MaxBatchSize);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            if (!reader.TryRead(out var first)) continue;
            batch.Add(first);
            long deadline = Stopwatch.GetTimestamp() + (long)(_options.Window.TotalSeconds * Stopwatch.Frequency);
            while (batch.Count < _options.MaxBatchSize)
            {
                if (reader.TryRead(out var next)) { batch.Add(next); continue; }
                var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (left <= TimeSpan.Zero) break;
                var more = reader.WaitToReadAsync().AsTask();
                if (await Task.WhenAny(more, Task.Delay(left)).ConfigureAwait(false) != more || !await more.ConfigureAwait(false)) break;
            }
            foreach (var group in batch.GroupBy(p => p.Key, StringComparer.Ordinal))
                foreach (var part in SplitByDistinctAdapters(group.ToList()))
                    RunPart(part);
        }
    }

    /// <summary>Parts of at most <c>maxDistinctAdapters</c> adapters each, in arrival order.</summary>
    private IEnumerable<List<Pending>> SplitByDistinctAdapters(List<Pending> group)
    {
        var part = new List<Pending>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pending in group)
        {
            if (!names.Contains(pending.Adapter) && names.Count == _maxDistinct)
            {
                yield return part;
                part = [];
                names.Clear();
            }
            names.Add(pending.Adapter);
            part.Add(pending);
        }
        if (part.Count > 0) yield return part;
    }

    private void RunPart(List<Pending> part)
    {
        var live = part.Where(p => !p.Cancelled()).ToList();
        if (live.Count == 0) return;
        try
        {
            if (_mergedAdapter is { } merged)
            {
                foreach (var pending in live.Where(p => p.Adapter != merged)) pending.Completion.TrySetException(new AdapterNotFoundException(pending.Adapter));
                Execute(live.Where(p => p.Adapter == merged).ToList(), slots: null);
                return;
            }
            _store.Use(live.Select(p => p.Adapter).ToList(), leases =>
            {
                var runnable = new List<Pending>();
                var slots = new List<string>();
                for (int i = 0; i < live.Count; i++)
                {
                    if (leases[i].Error is { } error) live[i].Completion.TrySetException(error);
                    else { runnable.Add(live[i]); slots.Add(leases[i].Slot!); }
                }
                Execute(runnable, slots);
                return runnable.Count;
            });
        }
        catch (OperationCanceledException) when (live.All(p => p.Cancellation.IsCancellationRequested))
        {
            foreach (var pending in live) pending.Completion.TrySetCanceled(pending.Cancellation);
        }
        catch (Exception e)
        {
            // A forward that throws fails the requests it carried, never the worker or the other batches.
            foreach (var pending in live) pending.Completion.TrySetException(e);
        }
    }

    /// <summary>One forward over <paramref name="runnable"/>, row i with adapter slot i (or, merged, with no per-row scope).</summary>
    private void Execute(List<Pending> runnable, IReadOnlyList<string>? slots)
    {
        if (runnable.Count == 0) return;
        foreach (var pending in runnable) _metrics?.QueueTime(Stopwatch.GetElapsedTime(pending.Queued));
        _metrics?.Batch(runnable.Count);
        IReadOnlyList<TResult> results;
        using (var callersGone = new AllCancelled(runnable.Select(p => p.Cancellation)))
        using (slots is null ? null : _model.Module.UseAdapterPerRow(slots))
            results = _model.Run(runnable.Select(p => p.Request).ToList(), callersGone.Token);
        if (results.Count != runnable.Count)
            throw new InvalidOperationException($"The servable model returned {results.Count} results for {runnable.Count} requests.");
        for (int i = 0; i < runnable.Count; i++) runnable[i].Completion.TrySetResult(results[i]);
    }

    /// <summary>A token cancelled once every one of <c>tokens</c> is: a batch runs on while any caller waits for it.</summary>
    private sealed class AllCancelled : IDisposable
    {
        private readonly CancellationTokenSource _source = new();
        private readonly List<CancellationTokenRegistration> _registrations = [];
        private int _remaining;

        public AllCancelled(IEnumerable<CancellationToken> tokens)
        {
            var list = tokens.ToList();
            _remaining = list.Count;
            foreach (var token in list)
            {
                if (!token.CanBeCanceled) { _remaining = int.MaxValue; break; } // that caller never goes
                _registrations.Add(token.Register(() => { if (Interlocked.Decrement(ref _remaining) == 0) _source.Cancel(); }));
            }
        }

        public CancellationToken Token => _source.Token;

        public void Dispose()
        {
            foreach (var registration in _registrations) registration.Dispose(); // waits for a running callback
            _source.Dispose();
        }
    }

    private sealed class Pending(string adapter, TRequest request, string key, long queued, CancellationToken cancellation)
    {
        public string Adapter { get; } = adapter;
        public TRequest Request { get; } = request;
        public string Key { get; } = key;
        public long Queued { get; } = queued;
        public CancellationToken Cancellation { get; } = cancellation;
        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Cancelled()
        {
            if (!Cancellation.IsCancellationRequested) return false;
            Completion.TrySetCanceled(Cancellation);
            return true;
        }
    }
}
