using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Serving;

/// <summary>One completion request: the prompt text (already rendered for chat) and its decoding options.</summary>
/// <param name="Prompt">The text to continue.</param>
/// <param name="Options">Decoding options; requests with equal options share a batch.</param>
public sealed record CompletionRequest(string Prompt, GenerationOptions Options);

/// <summary>
/// Serves a decoder <see cref="CausalLM"/>: prompts that arrive together with equal decoding options are generated as
/// one left-padded batch, row r with its own adapter (rows never leave the batch; a finished row is padding until the
/// longest ends). Each row's tokens equal what its prompt gives alone (greedy, or seeded sampling per row).
/// </summary>
public sealed class CausalLMServable : IServableModel<CompletionRequest, GenerationResult>
{
    private readonly CausalLM _model;

    /// <summary>Serves <paramref name="model"/>, which needs its tokenizer (<see cref="CausalLM.Tokenizer"/>).</summary>
    /// <param name="model">The decoder; its default adapter stays active, the store adds the served ones.</param>
    /// <param name="chatTemplate">Renders chat messages for <c>/v1/chat/completions</c>; null: chat is refused.</param>
    /// <param name="maxPromptLength">Longer prompts are refused (400), in characters.</param>
    /// <param name="maxNewTokens">The most tokens one request may ask for.</param>
    public CausalLMServable(CausalLM model, ChatTemplate? chatTemplate = null, int maxPromptLength = 16384, int maxNewTokens = 1024)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Tokenizer is null) throw new ArgumentException("The CausalLM has no tokenizer (tokenizer.json); a served model must encode prompts.", nameof(model));
        _model = model;
        ChatTemplate = chatTemplate;
        MaxPromptLength = maxPromptLength;
        MaxNewTokens = maxNewTokens;
    }

    /// <summary>The chat template of <c>/v1/chat/completions</c>, if chat is served.</summary>
    public ChatTemplate? ChatTemplate { get; }

    /// <summary>The longest prompt accepted, in characters.</summary>
    public int MaxPromptLength { get; }

    /// <summary>The most new tokens a request may ask for.</summary>
    public int MaxNewTokens { get; }

    /// <summary>The served model.</summary>
    public CausalLM Model => _model;

    /// <inheritdoc />
    public nn.Module Module => _model;

    /// <inheritdoc />
    public void Validate(CompletionRequest request)
    {
        if (request?.Prompt is null) throw ServingRequestException.BadField("prompt", "is missing.");
        if (request.Prompt.Length > MaxPromptLength) throw ServingRequestException.BadField("prompt", $"is {request.Prompt.Length} characters; at most {MaxPromptLength} are accepted.");
        if (request.Options.MaxNewTokens < 1 || request.Options.MaxNewTokens > MaxNewTokens)
            throw ServingRequestException.BadField("max_tokens", $"must be between 1 and {MaxNewTokens}.");
        if (!(request.Options.Temperature >= 0) || double.IsInfinity(request.Options.Temperature)) throw ServingRequestException.BadField("temperature", "must be a finite number ≥ 0.");
        if (!(request.Options.TopP > 0 && request.Options.TopP <= 1)) throw ServingRequestException.BadField("top_p", "must be in (0, 1].");
    }

    /// <inheritdoc />
    public string BatchKey(CompletionRequest request)
    {
        var o = request.Options;
        // A seeded sample draws from (Seed, row): only alone (row 0) does it give what the same request gives alone.
        if (o.DoSample && o.Seed is not null) return Guid.NewGuid().ToString("N");
        return string.Join('|', o.MaxNewTokens, o.MinNewTokens, o.DoSample, o.Temperature, o.TopK, o.TopP, o.Seed, o.RepetitionPenalty,
            string.Join('\u0001', o.StopStrings), o.EosTokenIds is null ? "-" : string.Join(',', o.EosTokenIds), o.AddSpecialTokens, o.SkipSpecialTokens);
    }

    /// <inheritdoc />
    public IReadOnlyList<GenerationResult> Run(IReadOnlyList<CompletionRequest> requests) =>
        _model.Generate(requests.Select(r => r.Prompt).ToList(), requests[0].Options);
}
