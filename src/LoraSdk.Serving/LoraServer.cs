using System.Diagnostics.Metrics;
using LoraSdk.Models;
using Microsoft.Extensions.Hosting;

namespace LoraSdk.Serving;

/// <summary>
/// The served model, its store and its batcher, built once when the host starts. Stopping the host drains the batcher:
/// queued and running requests are answered, new ones get 503.
/// </summary>
public sealed class LoraServer : IHostedService, IAsyncDisposable
{
    private readonly LoraServingOptions _options;
    private readonly IServiceProvider _services;
    private volatile bool _stopping;

    /// <summary>Created by the container (<c>AddLoraServing</c>).</summary>
    public LoraServer(LoraServingOptions options, IServiceProvider services, IMeterFactory? meters = null, IHostApplicationLifetime? lifetime = null)
    {
        _options = options;
        _services = services;
        Metrics = new ServingMetrics(meters);
        // The host stops Kestrel before this service, and Kestrel lets requests already received finish: from the
        // moment shutdown starts, those get 503 (and readiness fails) instead of joining the queue being drained.
        lifetime?.ApplicationStopping.Register(StopAccepting);
    }

    /// <summary>Refuses new requests from now on (503; readiness 503) while queued ones are still answered.</summary>
    public void StopAccepting()
    {
        _stopping = true;
        Classifier?.StopAccepting();
        Completions?.StopAccepting();
    }

    /// <summary>The server's instruments.</summary>
    public ServingMetrics Metrics { get; }

    /// <summary>The adapter store (null until the host has started).</summary>
    public AdapterStore? Store { get; private set; }

    /// <summary>The classifier's batcher, when a classifier is served.</summary>
    public AdapterBatcher<string, ClassificationResult>? Classifier { get; private set; }

    /// <summary>The classifier served, if any.</summary>
    public TextClassifierServable? ClassifierModel { get; private set; }

    /// <summary>The decoder's batcher, when a decoder is served.</summary>
    public AdapterBatcher<CompletionRequest, GenerationResult>? Completions { get; private set; }

    /// <summary>The decoder served, if any.</summary>
    public CausalLMServable? CausalLMModel { get; private set; }

    /// <summary>True once the model is loaded and until shutdown starts (the readiness probe).</summary>
    public bool Ready => Store is not null && !_stopping;

    /// <summary>Builds the model, the store and the batcher.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        string? merged = _options.MergedAdapter;
        if (_options.Classifier is { } classifier)
        {
            ClassifierModel = classifier(_services);
            Store = new AdapterStore(ClassifierModel.Module, _options.Store, Metrics);
            if (merged is not null) Merge(Store, merged);
            Classifier = new AdapterBatcher<string, ClassificationResult>(Store, ClassifierModel, _options.Batching, Metrics, _options.Store.MaxAdapters, merged);
        }
        else if (_options.CausalLM is { } causal)
        {
            CausalLMModel = causal(_services);
            Store = new AdapterStore(CausalLMModel.Module, _options.Store, Metrics);
            if (merged is not null) Merge(Store, merged);
            Completions = new AdapterBatcher<CompletionRequest, GenerationResult>(Store, CausalLMModel, _options.Batching, Metrics, _options.Store.MaxAdapters, merged);
        }
        if (_stopping) StopAccepting(); // shutdown began while starting
        return Task.CompletedTask;
    }

    /// <summary>The adapter served merged into the base (<see cref="LoraServingOptions.MergedAdapter"/>), or null.</summary>
    public string? MergedAdapter => _options.MergedAdapter;

    /// <summary>The adapters this server answers for now: the store's folder, or the merged one alone.</summary>
    public IReadOnlyList<string> ServedAdapters() =>
        Store is null ? [] : MergedAdapter is { } merged ? [merged] : Store.Available();

    // Loads the adapter under its own name, makes it the active one and folds it into the base weights (safe: refuses NaN/Inf).
    private static void Merge(AdapterStore store, string name)
    {
        if (!store.Exists(name))
            throw new InvalidOperationException($"LoraServingOptions.MergedAdapter: no adapter folder '{Path.Combine(store.Root, name)}' with {AdapterConfig.FileName} and {AdapterModelExtensions.WeightsFileName}.");
        store.Model.LoadAdapter(Path.Combine(store.Root, name), name);
        store.Model.SetActiveAdapter(name);
        store.Model.MergeLoRA(safe: true);
    }

    /// <summary>Refuses new requests (503) and waits until every queued one is answered.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        StopAccepting();
        if (Classifier is not null) await Classifier.DrainAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (Completions is not null) await Completions.DrainAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Classifier is not null) await Classifier.DisposeAsync().ConfigureAwait(false);
        if (Completions is not null) await Completions.DisposeAsync().ConfigureAwait(false);
        Metrics.Dispose();
    }
}
