namespace LoraSdk.Serving;

/// <summary>What <c>AddLoraServing</c> serves: one model (a classifier or a decoder), its adapter store and batching.</summary>
public sealed class LoraServingOptions
{
    /// <summary>Where adapters are and how many stay in memory.</summary>
    public AdapterStoreOptions Store { get; } = new();

    /// <summary>The batch window, batch size and queue limit.</summary>
    public BatcherOptions Batching { get; } = new();

    /// <summary>
    /// Serve only this adapter of the store's folder, merged into the base weights when the host starts: no LoRA compute
    /// per request, the fastest single-tenant deployment (and the reference the serving bench compares mixed traffic
    /// with). Requests naming another adapter get 404, and a new version of its folder is picked up only by a restart.
    /// Null (default): every adapter of the folder, through the store and per-row batches.
    /// </summary>
    public string? MergedAdapter { get; set; }

    /// <summary>Request bodies larger than this are refused (400 naming the body); default 1 MiB.</summary>
    public int MaxRequestBytes { get; set; } = 1 << 20;

    internal Func<IServiceProvider, TextClassifierServable>? Classifier { get; private set; }

    internal Func<IServiceProvider, CausalLMServable>? CausalLM { get; private set; }

    /// <summary>Serves a text classifier: <c>POST /v1/adapters/{name}/predict</c>.</summary>
    public LoraServingOptions UseClassifier(Func<IServiceProvider, TextClassifierServable> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Classifier = factory;
        CausalLM = null;
        return this;
    }

    /// <summary>Serves a decoder: <c>POST /v1/completions</c> and <c>/v1/chat/completions</c>, <c>model</c> naming the adapter.</summary>
    public LoraServingOptions UseCausalLM(Func<IServiceProvider, CausalLMServable> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        CausalLM = factory;
        Classifier = null;
        return this;
    }

    internal void Validate()
    {
        if (Classifier is null && CausalLM is null)
            throw new InvalidOperationException("AddLoraServing: no model to serve; call options.UseClassifier(...) or options.UseCausalLM(...).");
        if (MaxRequestBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxRequestBytes), MaxRequestBytes, "LoraServingOptions.MaxRequestBytes must be positive.");
        Batching.Validate();
    }
}
