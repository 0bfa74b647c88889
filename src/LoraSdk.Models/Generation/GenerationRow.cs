namespace LoraSdk.Models;

/// <summary>One prompt's state during generation: its tokens, its text, its generator and whether it has stopped.</summary>
internal sealed class GenerationRow
{
    private readonly HashSet<int> seen;
    private readonly List<int> generated = [];

    public GenerationRow(int index, IReadOnlyList<int> prompt, IGenerationTokenizer tokenizer, GenerationOptions options, long seed)
    {
        Index = index;
        Prompt = prompt;
        seen = [.. prompt];
        Text = new RowText(tokenizer, prompt, options);
        Random = options.DoSample ? new RowRandom(seed, index) : null;
    }

    public int Index { get; }
    public IReadOnlyList<int> Prompt { get; }
    public RowText Text { get; }
    public RowRandom? Random { get; }

    /// <summary>Distinct ids of the prompt and the generated tokens (what the repetition penalty reads; padding never enters).</summary>
    public IReadOnlyCollection<int> Seen => seen;

    public IReadOnlyList<int> Generated => generated;

    /// <summary>Why it stopped; null while it runs.</summary>
    public StopReason? Stopped { get; private set; }

    /// <summary>Appends <paramref name="id"/> and decides whether the row stops here (EOS first, then stop strings, then length).</summary>
    public void Append(int id, IReadOnlyList<int> eosIds, int maxNewTokens)
    {
        generated.Add(id);
        seen.Add(id);
        bool eos = eosIds.Contains(id);
        bool stopString = Text.Add(id, endOfSequence: eos);
        if (eos) Stopped = StopReason.EndOfSequence;
        else if (stopString) Stopped = StopReason.StopString;
        else if (generated.Count >= maxNewTokens) Stopped = StopReason.MaxNewTokens;
    }

    public GenerationResult Result() => new(
        generated.ToArray(), Text.Text, Stopped ?? StopReason.MaxNewTokens,
        Stopped == StopReason.StopString ? Text.FoundStopString : null, Prompt.Count);
}
