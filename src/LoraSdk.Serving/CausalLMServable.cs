using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Serving;

/// <summary>One completion request: the prompt text (already rendered for chat) and its decoding options.</summary>
/// <param name="Prompt">The text to continue.</param>
/// <param name="Options">Decoding options; requests with equal options share a batch.</param>
public sealed record CompletionRequest(string Prompt, GenerationOptions Options)
{
    /// <summary>
    /// Set for a streamed answer: called with each piece of text as soon as it is generated (on the generating thread:
    /// hand it over, do not block). The pieces concatenate to the result's text.
    /// </summary>
    public Action<string>? OnText { get; init; }
}

/// <summary>
/// Serves a decoder <see cref="CausalLM"/>: prompts that arrive together with equal decoding options are generated as
/// one left-padded batch, row r with its own adapter (rows never leave the batch; a finished row is padding until the
/// longest ends). Each row's tokens equal what its prompt gives alone (greedy, or seeded sampling per row). Streamed
/// requests (<see cref="CompletionRequest.OnText"/>) get their text through <c>CausalLM.GenerateAsync</c> token by
/// token while the batch runs; the others in the same batch get the same tokens at the end.
/// </summary>
public sealed class CausalLMServable : IServableModel<CompletionRequest, GenerationResult>
{
    private readonly CausalLM _model;

    /// <summary>Serves <paramref name="model"/>, which needs its tokenizer (<see cref="CausalLM.Tokenizer"/>).</summary>
    /// <param name="model">The decoder; its default adapter stays active, the store adds the served ones.</param>
    /// <param name="chatTemplate">Renders chat messages for <c>/v1/chat/completions</c>; null: the tokenizer's own
    /// (tokenizer_config.json's <c>chat_template</c>) when it has one, else chat is refused.</param>
    /// <param name="maxPromptLength">Longer prompts are refused (400), in characters.</param>
    /// <param name="maxNewTokens">The most tokens one request may ask for.</param>
    public CausalLMServable(CausalLM model, ChatTemplate? chatTemplate = null, int maxPromptLength = 16384, int maxNewTokens = 1024)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Tokenizer is null) throw new ArgumentException("The CausalLM has no tokenizer (tokenizer.json); a served model must encode prompts.", nameof(model));
        _model = model;
        ChatTemplate = chatTemplate;
        if (chatTemplate is null && model.Tokenizer.ChatTemplateSource is not null)
        {
            // A template of a family this library does not render refuses chat only; completions are still served.
            try { ChatTemplate = model.Tokenizer.ChatTemplate; }
            catch (InvalidDataException e) { ChatTemplateProblem = e.Message; }
        }
        MaxPromptLength = maxPromptLength;
        MaxNewTokens = maxNewTokens;
    }

    /// <summary>The chat template of <c>/v1/chat/completions</c>, if chat is served.</summary>
    public ChatTemplate? ChatTemplate { get; }

    /// <summary>Why the tokenizer's own chat template cannot be used (an unknown family), when that is why chat is not served.</summary>
    public string? ChatTemplateProblem { get; }

    /// <summary>The longest prompt accepted, in characters.</summary>
    public int MaxPromptLength { get; }

    /// <summary>The most new tokens a request may ask for.</summary>
    public int MaxNewTokens { get; }

    /// <summary>The served model.</summary>
    public CausalLM Model => _model;

    /// <inheritdoc />
    public nn.Module Module => _model;

    /// <summary>
    /// <paramref name="options"/> for a chat answer: generation also stops at the template's end-of-turn tokens
    /// (&lt;|eot_id|&gt;, &lt;|im_end|&gt;) as ids where the tokenizer has them, else as stop strings; the prompt is
    /// encoded without adding special tokens again (the template writes BOS where the family wants it).
    /// </summary>
    public GenerationOptions ChatOptions(GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var template = ChatTemplate ?? throw new InvalidOperationException("This servable has no chat template.");
        var tokenizer = _model.Tokenizer!;
        var eos = new List<int>(options.EosTokenIds ?? tokenizer.EosTokenIds);
        var stopStrings = new List<string>(options.StopStrings);
        foreach (var token in template.StopTokens)
        {
            if (tokenizer.TokenToId(token) is { } id) { if (!eos.Contains(id)) eos.Add(id); }
            else if (!stopStrings.Contains(token)) stopStrings.Add(token);
        }
        return options with { EosTokenIds = eos, StopStrings = stopStrings, AddSpecialTokens = false };
    }

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
    public IReadOnlyList<GenerationResult> Run(IReadOnlyList<CompletionRequest> requests, CancellationToken cancellation = default)
    {
        var prompts = requests.Select(r => r.Prompt).ToList();
        // Without a streamed request the plain loop decodes each row's text once, at its end.
        if (requests.All(r => r.OnText is null)) return _model.Generate(prompts, requests[0].Options, cancellation);
        return Stream(requests, prompts, cancellation);
    }

    /// <summary>
    /// The batch through <c>GenerateAsync</c>: each piece goes to its request's <see cref="CompletionRequest.OnText"/>
    /// as it comes, and each row's last piece carries its result. The batcher runs this under the adapter store's lock
    /// and the per-row scope, which hold while this thread waits for the generating one.
    /// </summary>
    private GenerationResult[] Stream(IReadOnlyList<CompletionRequest> requests, IReadOnlyList<string> prompts, CancellationToken cancellation)
    {
        var results = new GenerationResult?[requests.Count];
        var pieces = _model.GenerateAsync(prompts, requests[0].Options, cancellation).GetAsyncEnumerator(cancellation);
        try
        {
            while (pieces.MoveNextAsync().AsTask().GetAwaiter().GetResult())
            {
                var piece = pieces.Current;
                if (piece.Text.Length > 0) requests[piece.Row].OnText?.Invoke(piece.Text);
                if (piece.Result is { } result) results[piece.Row] = result;
            }
        }
        finally
        {
            pieces.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return results.Select((r, row) => r ?? throw new InvalidOperationException($"Generation streamed no result for row {row}.")).ToArray();
    }
}
