namespace LoraSdk.Models;

public sealed partial class CausalLM
{
    /// <summary>The tokenizer file of a HuggingFace model folder (read by <see cref="Load"/> when present).</summary>
    public const string TokenizerFile = "tokenizer.json";

    /// <summary>
    /// The tokenizer the text-based <c>Generate</c>/<c>GenerateAsync</c> use: the folder's <c>tokenizer.json</c> when
    /// <see cref="Load"/> found one, else null until set (e.g. <c>model.Tokenizer = HuggingFaceTokenizer.Load(dir)</c>).
    /// </summary>
    public HuggingFaceTokenizer? Tokenizer { get; set; }

    /// <summary>
    /// What a null <see cref="GenerationOptions"/> means: the folder's <c>generation_config.json</c> settings when
    /// <see cref="Load"/> found one (transformers' <c>generate()</c> starts from them), else <see cref="GenerationOptions"/>' defaults.
    /// </summary>
    public GenerationOptions DefaultGenerationOptions { get; set; } = new();

    /// <summary>Generates a continuation of <paramref name="prompt"/> (encoded with <see cref="Tokenizer"/>, BOS as transformers adds it).</summary>
    /// <param name="prompt">The text to continue.</param>
    /// <param name="options">Decoding and stopping options; null: <see cref="DefaultGenerationOptions"/>.</param>
    /// <param name="cancellationToken">Stops generation at the next token with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The new tokens, their text (cut before a stop string) and why generation stopped.</returns>
    public GenerationResult Generate(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        Generate([prompt], options, cancellationToken)[0];

    /// <summary>
    /// Generates a continuation of every prompt in one left-padded batch; each row gets what its prompt gets alone
    /// (with a seed too: row r samples from (Seed, r)). Inside <c>UseAdapterPerRow(names)</c> row r uses adapter names[r].
    /// </summary>
    /// <param name="prompts">The texts to continue.</param>
    /// <param name="options">Decoding and stopping options; null: <see cref="DefaultGenerationOptions"/>.</param>
    /// <param name="cancellationToken">Stops generation at the next token.</param>
    /// <returns>One result per prompt, in order.</returns>
    public GenerationResult[] Generate(IReadOnlyList<string> prompts, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var tokenizer = RequireTokenizer();
        using var mode = InferenceMode();
        return TextGeneration.Generate(StartDecoding, tokenizer, prompts, options ?? DefaultGenerationOptions, cancellationToken);
    }

    /// <summary>
    /// As <see cref="Generate(IReadOnlyList{string}, GenerationOptions?, CancellationToken)"/> for prompts already
    /// tokenized (special tokens as given); <paramref name="tokenizer"/> (default <see cref="Tokenizer"/>) decodes the
    /// text and supplies EOS and pad ids.
    /// </summary>
    /// <param name="promptIds">Token ids of each prompt.</param>
    /// <param name="options">Decoding and stopping options; null: <see cref="DefaultGenerationOptions"/>.</param>
    /// <param name="tokenizer">The tokenizer of the ids; null: <see cref="Tokenizer"/>.</param>
    /// <param name="cancellationToken">Stops generation at the next token.</param>
    /// <returns>One result per prompt, in order.</returns>
    public GenerationResult[] Generate(IReadOnlyList<IReadOnlyList<int>> promptIds, GenerationOptions? options = null,
        HuggingFaceTokenizer? tokenizer = null, CancellationToken cancellationToken = default)
    {
        tokenizer ??= RequireTokenizer();
        using var mode = InferenceMode();
        return TextGeneration.GenerateFromIds(StartDecoding, tokenizer, promptIds, options ?? DefaultGenerationOptions, cancellationToken);
    }

    /// <summary>
    /// Streams the continuation of <paramref name="prompt"/> as text pieces, each yielded once complete (never half a
    /// UTF-8 character, never the start of a stop string); they concatenate to
    /// <see cref="Generate(string, GenerationOptions?, CancellationToken)"/>'s text. The model runs on a pool thread;
    /// cancelling or leaving the loop stops it at the next token.
    /// </summary>
    /// <param name="prompt">The text to continue.</param>
    /// <param name="options">Decoding and stopping options; null: <see cref="DefaultGenerationOptions"/>.</param>
    /// <param name="cancellationToken">Stops generation at the next token.</param>
    public IAsyncEnumerable<string> GenerateAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        StreamInInferenceMode(TextGeneration.Stream(StartDecoding, RequireTokenizer(), prompt, options ?? DefaultGenerationOptions, cancellationToken));

    /// <summary>
    /// Streams a batch: each piece carries its row; a row's pieces concatenate to its result's text, and its last piece
    /// carries the result itself (<see cref="GeneratedPiece.Result"/>: stop reason, token ids). Inside
    /// <c>UseAdapterPerRow(names)</c> row r uses adapter names[r], as with <c>Generate</c>.
    /// </summary>
    /// <param name="prompts">The texts to continue.</param>
    /// <param name="options">Decoding and stopping options; null: <see cref="DefaultGenerationOptions"/>.</param>
    /// <param name="cancellationToken">Stops generation at the next token.</param>
    public IAsyncEnumerable<GeneratedPiece> GenerateAsync(IReadOnlyList<string> prompts, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        StreamInInferenceMode(TextGeneration.StreamBatch(StartDecoding, RequireTokenizer(), prompts, options ?? DefaultGenerationOptions, cancellationToken));

    private HuggingFaceTokenizer RequireTokenizer() => Tokenizer ?? throw new InvalidOperationException(
        $"This CausalLM has no tokenizer: {(SourceFolder is null ? "it was not loaded from a folder" : $"{Path.Combine(SourceFolder, TokenizerFile)} does not exist")}. " +
        "Set model.Tokenizer = HuggingFaceTokenizer.Load(folder), or generate from token ids.");

    // Adapter dropout must be off while generating (transformers' generate() runs a model from_pretrained left in eval
    // mode); a model switched to train() for fine-tuning goes back to training when generation ends.
    private IDisposable InferenceMode()
    {
        bool wasTraining = training;
        if (wasTraining) eval();
        return new ModeRestore(this, wasTraining);
    }

    private async IAsyncEnumerable<T> StreamInInferenceMode<T>(IAsyncEnumerable<T> stream)
    {
        using var mode = InferenceMode();
        await foreach (var piece in stream.ConfigureAwait(false)) yield return piece;
    }

    private sealed class ModeRestore(CausalLM model, bool wasTraining) : IDisposable
    {
        public void Dispose()
        {
            if (wasTraining) model.train();
        }
    }
}
