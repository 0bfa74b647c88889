using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// The decoding loop over a batch of tokenized prompts: left padding and the attention mask, one prefill, then one
/// token per row per step through the session's KV cache until every row has stopped.
/// </summary>
/// <remarks>
/// A stopped row stays in the batch (the session's rows are fixed) and is fed the pad token with mask 1: causal
/// attention keeps its later positions out of every earlier logit and other rows never attend to it, so nothing it is
/// fed changes a result; its logits are ignored. Autograd is off for the whole loop (no graph is kept through the
/// adapters' trainable parameters). Each step's tensors live in their own dispose scope; only the last
/// position's logits leave it, copied to managed memory (float32), where the logits processing runs.
/// </remarks>
internal static class GenerationLoop
{
    public static GenerationResult[] Run(Func<long, IDecodingSession> start, IGenerationTokenizer tokenizer,
        IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, Action<GeneratedPiece>? onPiece,
        CancellationToken cancellation)
    {
        CheckArguments(start, tokenizer, prompts, options);
        if (prompts.Count == 0) return [];
        IReadOnlyList<int> eos = options.EosTokenIds ?? tokenizer.EosTokenIds;
        int pad = tokenizer.PadTokenId ?? (eos.Count > 0 ? eos[0] : 0);
        long seed = options.Seed ?? System.Random.Shared.NextInt64();
        var rows = prompts.Select((p, r) => new GenerationRow(r, p, tokenizer, options, seed)).ToArray();
        var batch = LeftPaddedBatch.Create(prompts, pad);

        cancellation.ThrowIfCancellationRequested();
        using var inference = no_grad(); // thread-local in libtorch: set here, on the thread that runs the steps
        using var session = start(rows.Length);
        if (session.Batch != rows.Length)
            throw new InvalidOperationException($"Generation: the decoding session has {session.Batch} rows for {rows.Length} prompts.");
        var logits = StepLastLogits(session, batch.Ids, batch.Width, batch, rows.Length);
        CheckPromptIds(prompts, logits.Vocab);

        var next = new long[rows.Length];
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            foreach (var row in rows)
            {
                if (row.Stopped is not null) { next[row.Index] = pad; continue; }
                int id = TokenPicker.Pick(logits.Row(row.Index), options, row.Seen, row.Generated.Count, eos, row.Random, row.Index);
                row.Append(id, eos, options.MaxNewTokens);
                next[row.Index] = id;
                if (onPiece is not null)
                {
                    bool final = row.Stopped is not null;
                    string piece = row.Text.TakeStreamable(final);
                    // A row's last piece always comes (its text may be empty): it carries the row's result.
                    if (piece.Length > 0 || final) onPiece(new GeneratedPiece(row.Index, piece) { Result = final ? row.Result() : null });
                }
            }
            if (rows.All(r => r.Stopped is not null)) break;
            batch.AppendColumn();
            logits = StepLastLogits(session, next, 1, batch, rows.Length);
        }
        return rows.Select(r => r.Result()).ToArray();
    }

    /// <summary>Feeds one step and copies the last position's logits of every row out of the step's dispose scope.</summary>
    private static LastLogits StepLastLogits(IDecodingSession session, long[] ids, long width, LeftPaddedBatch batch, int batchSize)
    {
        using var scope = NewDisposeScope();
        var idsTensor = tensor(ids, [batchSize, width]);
        var mask = tensor(batch.Mask(), [batchSize, batch.Length]);
        var logits = session.Step(idsTensor, mask);
        if (logits.ndim != 3 || logits.shape[0] != batchSize || logits.shape[1] != width)
            throw new InvalidOperationException(
                $"Generation: the decoding session returned logits of shape [{string.Join(", ", logits.shape)}]; expected [{batchSize}, {width}, vocab].");
        var last = logits.select(1, width - 1).to_type(ScalarType.Float32).cpu().contiguous();
        return new LastLogits(last.data<float>().ToArray(), (int)logits.shape[2]);
    }

    private static void CheckArguments(Func<long, IDecodingSession> start, IGenerationTokenizer tokenizer,
        IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        for (int r = 0; r < prompts.Count; r++)
        {
            if (prompts[r] is null || prompts[r].Count == 0)
                throw new ArgumentException($"Prompt {r} has no tokens; generation needs at least one (a BOS token will do).", nameof(prompts));
            for (int i = 0; i < prompts[r].Count; i++)
                if (prompts[r][i] < 0)
                    throw new ArgumentException($"Prompt {r}, token {i}: id {prompts[r][i]} is negative.", nameof(prompts));
        }
    }

    private static void CheckPromptIds(IReadOnlyList<IReadOnlyList<int>> prompts, int vocab)
    {
        for (int r = 0; r < prompts.Count; r++)
            for (int i = 0; i < prompts[r].Count; i++)
                if (prompts[r][i] >= vocab)
                    throw new ArgumentException($"Prompt {r}, token {i}: id {prompts[r][i]} is outside the model's vocabulary ({vocab} ids).", nameof(prompts));
    }

    /// <summary>The last position's logits of every row, row-major.</summary>
    private readonly record struct LastLogits(float[] Values, int Vocab)
    {
        public Span<float> Row(int row) => Values.AsSpan(row * Vocab, Vocab);
    }
}
