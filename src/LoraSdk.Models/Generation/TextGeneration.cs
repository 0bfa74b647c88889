using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace LoraSdk.Models;

/// <summary>
/// Generation entry points over any decoder (an <see cref="IDecodingSession"/> factory) and tokenizer: what
/// <c>CausalLM.Generate</c>/<c>GenerateAsync</c> call with <c>model.StartDecoding</c> and the model's tokenizer.
/// </summary>
internal static class TextGeneration
{
    /// <summary>Generates a continuation of every prompt in one batch; results in the prompts' order.</summary>
    public static GenerationResult[] Generate(Func<long, IDecodingSession> start, IGenerationTokenizer tokenizer,
        IReadOnlyList<string> prompts, GenerationOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new GenerationOptions();
        return GenerationLoop.Run(start, tokenizer, Encode(tokenizer, prompts, options), options, null, cancellation);
    }

    /// <summary>As <see cref="Generate"/> for prompts already tokenized (special tokens as the caller put them).</summary>
    public static GenerationResult[] GenerateFromIds(Func<long, IDecodingSession> start, IGenerationTokenizer tokenizer,
        IReadOnlyList<IReadOnlyList<int>> promptIds, GenerationOptions? options = null, CancellationToken cancellation = default) =>
        GenerationLoop.Run(start, tokenizer, promptIds, options ?? new GenerationOptions(), null, cancellation);

    /// <summary>
    /// Streams one prompt's continuation as text pieces, each yielded as soon as it is complete (never half a
    /// character, never the start of a stop string); the pieces concatenate to <see cref="Generate"/>'s text.
    /// </summary>
    public static IAsyncEnumerable<string> Stream(Func<long, IDecodingSession> start, IGenerationTokenizer tokenizer,
        string prompt, GenerationOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return TextOf(StreamBatch(start, tokenizer, [prompt], options, cancellation), cancellation);
    }

    /// <summary>Streams a batch: pieces of every row, tagged with the row, in the order they are produced; each row's last carries its result.</summary>
    public static IAsyncEnumerable<GeneratedPiece> StreamBatch(Func<long, IDecodingSession> start, IGenerationTokenizer tokenizer,
        IReadOnlyList<string> prompts, GenerationOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new GenerationOptions();
        var ids = Encode(tokenizer, prompts, options); // bad options or prompts fail here, at the call, not at the first MoveNextAsync
        return StreamIds(start, tokenizer, ids, options, cancellation);
    }

    /// <summary>As <see cref="StreamBatch"/> for prompts already tokenized.</summary>
    public static IAsyncEnumerable<GeneratedPiece> StreamBatchFromIds(Func<long, IDecodingSession> start, IGenerationTokenizer tokenizer,
        IReadOnlyList<IReadOnlyList<int>> promptIds, GenerationOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new GenerationOptions();
        options.Validate();
        return StreamIds(start, tokenizer, promptIds, options, cancellation);
    }

    /// <summary>
    /// Runs the loop on a pool thread (the torch work never blocks the caller's thread) and hands its pieces over a
    /// channel. Leaving the enumeration early or cancelling stops the loop at its next step; disposal waits for it, so
    /// the session (and its KV cache) is released when the enumerator is.
    /// </summary>
    private static async IAsyncEnumerable<GeneratedPiece> StreamIds(Func<long, IDecodingSession> start, IGenerationTokenizer tokenizer,
        IReadOnlyList<IReadOnlyList<int>> promptIds, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var channel = Channel.CreateUnbounded<GeneratedPiece>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var worker = Task.Run(() =>
        {
            try { GenerationLoop.Run(start, tokenizer, promptIds, options, p => channel.Writer.TryWrite(p), stop.Token); }
            finally { channel.Writer.Complete(); }
        }, CancellationToken.None);
        try
        {
            await foreach (var piece in channel.Reader.ReadAllAsync(cancellation).ConfigureAwait(false))
                yield return piece;
            await worker.ConfigureAwait(false); // the loop's own exception (or cancellation), if any
        }
        finally
        {
            stop.Cancel();
            try { await worker.ConfigureAwait(false); } catch { /* already surfaced above, or the consumer left early */ }
        }
    }

    private static async IAsyncEnumerable<string> TextOf(IAsyncEnumerable<GeneratedPiece> pieces, [EnumeratorCancellation] CancellationToken cancellation)
    {
        await foreach (var piece in pieces.WithCancellation(cancellation).ConfigureAwait(false))
            if (piece.Text.Length > 0) yield return piece.Text; // a row's last piece may be empty (it carries the result)
    }

    private static IReadOnlyList<IReadOnlyList<int>> Encode(IGenerationTokenizer tokenizer, IReadOnlyList<string> prompts, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompts);
        options.Validate();
        var ids = new IReadOnlyList<int>[prompts.Count];
        for (int r = 0; r < prompts.Count; r++)
            ids[r] = tokenizer.Encode(prompts[r] ?? throw new ArgumentException($"Prompt {r} is null.", nameof(prompts)), options.AddSpecialTokens);
        return ids;
    }
}
