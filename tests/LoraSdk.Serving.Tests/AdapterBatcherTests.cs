using static LoraSdk.Serving.Tests.ServingTestKit;

namespace LoraSdk.Serving.Tests;

/// <summary>Batching across adapters: concurrent requests share forwards, and each answer is its adapter's own.</summary>
public sealed class AdapterBatcherTests : IDisposable
{
    private readonly string _root = NewRoot();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Ten_thousand_random_requests_over_100_adapters_each_equal_the_offline_answer()
    {
        var names = Enumerable.Range(0, 100).Select(i => $"customer{i}").ToArray();
        WriteAdapters(_root, names, seed: 11);
        var random = new Random(5);
        var texts = Enumerable.Range(0, 12).Select(_ => RandomText(random)).Distinct().ToArray();
        var expected = names.ToDictionary(n => n, n => Offline(Path.Combine(_root, n), texts));

        using var model = CreateClassifier();
        using var metrics = new ServingMetrics();
        var store = new AdapterStore(model, new AdapterStoreOptions { Root = _root, MaxAdapters = 64 }, metrics);
        var batchSizes = new List<int>();
        var servable = new RecordingServable(new TextClassifierServable(model, CreateEncoder(), Labels), batchSizes);
        await using var batcher = new AdapterBatcher<string, ClassificationResult>(store, servable,
            new BatcherOptions { Window = TimeSpan.FromMilliseconds(2), MaxBatchSize = 32, QueueLimit = 10_000 }, metrics, maxDistinctAdapters: 64);

        var requests = Enumerable.Range(0, 10_000).Select(_ => (Adapter: names[random.Next(names.Length)], Text: random.Next(texts.Length))).ToArray();
        int wrong = 0;
        double worst = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 64), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (client, _) =>
        {
            for (int i = client; i < requests.Length; i += 64)
            {
                var (adapter, text) = requests[i];
                var answer = await batcher.SubmitAsync(adapter, texts[text]);
                double difference = MaxDifference(Probabilities(answer), expected[adapter][text]);
                lock (requests) worst = Math.Max(worst, difference);
                if (difference > 1e-5) Interlocked.Increment(ref wrong);
            }
        });
        Assert.True(wrong == 0, $"{wrong} of 10000 answers differ from their adapter's offline answer (worst {worst:E2})");
        Assert.True(batchSizes.Max() > 1, "no request was ever batched with another");
        Assert.True(store.LoadedCount <= 64);
    }

    [Fact]
    public async Task Unknown_and_corrupt_adapters_fail_alone_and_their_batch_mates_are_answered()
    {
        WriteAdapters(_root, ["good", "bad"], seed: 12);
        File.WriteAllText(Path.Combine(_root, "bad", AdapterConfig.FileName), "{ not json");
        var expected = Offline(Path.Combine(_root, "good"), ["refund my order"])[0];
        using var model = CreateClassifier();
        var store = new AdapterStore(model, new AdapterStoreOptions { Root = _root });
        await using var batcher = new AdapterBatcher<string, ClassificationResult>(store, new TextClassifierServable(model, CreateEncoder(), Labels),
            new BatcherOptions { Window = TimeSpan.FromMilliseconds(50) });
        var good = batcher.SubmitAsync("good", "refund my order");
        var bad = batcher.SubmitAsync("bad", "refund my order");
        var missing = batcher.SubmitAsync("nobody", "refund my order");
        Assert.True(MaxDifference(Probabilities(await good), expected) <= 1e-5);
        var unusable = await Assert.ThrowsAsync<AdapterUnusableException>(() => bad);
        Assert.Equal(422, unusable.StatusCode);
        Assert.Contains(AdapterConfig.FileName, unusable.Message);
        Assert.Equal(404, (await Assert.ThrowsAsync<AdapterNotFoundException>(() => missing)).StatusCode);
    }

    [Fact]
    public async Task Bad_input_is_refused_before_queueing_a_full_queue_answers_429_and_a_drained_batcher_503()
    {
        WriteAdapters(_root, ["a"], seed: 13);
        using var model = CreateClassifier();
        var store = new AdapterStore(model, new AdapterStoreOptions { Root = _root });
        var gate = new ManualResetEventSlim(false);
        var servable = new BlockingServable(new TextClassifierServable(model, CreateEncoder(), Labels, maxTextLength: 20), gate);
        var batcher = new AdapterBatcher<string, ClassificationResult>(store, servable, new BatcherOptions { Window = TimeSpan.Zero, MaxBatchSize = 1, QueueLimit = 2 });

        var tooLong = Assert.Throws<ServingRequestException>(() => { _ = batcher.SubmitAsync("a", new string('x', 21)); });
        Assert.Equal((400, "text"), (tooLong.StatusCode, tooLong.Field));

        var first = batcher.SubmitAsync("a", "refund");   // taken by the worker, which blocks in the forward
        servable.Entered.Wait(TimeSpan.FromSeconds(30));
        var queued = new[] { batcher.SubmitAsync("a", "bill"), batcher.SubmitAsync("a", "card") };
        Assert.Equal(429, Assert.Throws<ServerBusyException>(() => { _ = batcher.SubmitAsync("a", "late"); }).StatusCode);

        var drain = batcher.DrainAsync();
        Assert.Equal(503, Assert.Throws<ServerBusyException>(() => { _ = batcher.SubmitAsync("a", "late"); }).StatusCode);
        gate.Set();
        await drain.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(new[] { first }.Concat(queued), t => Assert.True(t.IsCompletedSuccessfully)); // drained, none lost
    }

    [Fact]
    public async Task A_batch_is_cancelled_only_once_every_one_of_its_callers_has_gone()
    {
        WriteAdapters(_root, ["a", "b"], seed: 14);
        using var model = CreateClassifier();
        var store = new AdapterStore(model, new AdapterStoreOptions { Root = _root });
        var servable = new UntilCancelledServable(new TextClassifierServable(model, CreateEncoder(), Labels));
        await using var batcher = new AdapterBatcher<string, ClassificationResult>(store, servable, new BatcherOptions { Window = TimeSpan.FromSeconds(5), MaxBatchSize = 2 });
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        var one = batcher.SubmitAsync("a", "refund", first.Token);
        var two = batcher.SubmitAsync("b", "card", second.Token); // fills the batch: it runs now
        Assert.True(servable.Entered.Wait(TimeSpan.FromSeconds(30)));

        first.Cancel();
        Assert.False(servable.SawCancellation.Wait(TimeSpan.FromMilliseconds(300)), "the batch was cancelled while a caller still waited");
        second.Cancel();
        Assert.True(servable.SawCancellation.Wait(TimeSpan.FromSeconds(30)), "the batch ran on after every caller had gone");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => one);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => two);
    }

    /// <summary>Runs until the batch's token is cancelled (a generation that would go on for long).</summary>
    private sealed class UntilCancelledServable(TextClassifierServable inner) : IServableModel<string, ClassificationResult>
    {
        public ManualResetEventSlim Entered { get; } = new(false);
        public ManualResetEventSlim SawCancellation { get; } = new(false);
        public TorchSharp.torch.nn.Module Module => inner.Module;
        public void Validate(string request) => inner.Validate(request);
        public string BatchKey(string request) => inner.BatchKey(request);
        public IReadOnlyList<ClassificationResult> Run(IReadOnlyList<string> requests, CancellationToken cancellation = default)
        {
            Entered.Set();
            cancellation.WaitHandle.WaitOne(TimeSpan.FromSeconds(60));
            if (cancellation.IsCancellationRequested) SawCancellation.Set();
            cancellation.ThrowIfCancellationRequested();
            return inner.Run(requests, cancellation);
        }
    }

    /// <summary>Records every forward's batch size.</summary>
    private sealed class RecordingServable(TextClassifierServable inner, List<int> sizes) : IServableModel<string, ClassificationResult>
    {
        public TorchSharp.torch.nn.Module Module => inner.Module;
        public void Validate(string request) => inner.Validate(request);
        public string BatchKey(string request) => inner.BatchKey(request);
        public IReadOnlyList<ClassificationResult> Run(IReadOnlyList<string> requests, CancellationToken cancellation = default)
        {
            sizes.Add(requests.Count);
            return inner.Run(requests, cancellation);
        }
    }

    /// <summary>Holds every forward until the gate opens, so a test can fill the queue.</summary>
    private sealed class BlockingServable(TextClassifierServable inner, ManualResetEventSlim gate) : IServableModel<string, ClassificationResult>
    {
        public ManualResetEventSlim Entered { get; } = new(false);
        public TorchSharp.torch.nn.Module Module => inner.Module;
        public void Validate(string request) => inner.Validate(request);
        public string BatchKey(string request) => inner.BatchKey(request);
        public IReadOnlyList<ClassificationResult> Run(IReadOnlyList<string> requests, CancellationToken cancellation = default)
        {
            Entered.Set();
            gate.Wait();
            return inner.Run(requests, cancellation);
        }
    }
}
