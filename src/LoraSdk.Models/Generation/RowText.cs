namespace LoraSdk.Models;

/// <summary>
/// One row's generated text, kept as the tokenizer decodes it: the stop-string search and the stream both read it.
/// </summary>
/// <remarks>
/// The text is decoded from the whole generated sequence each time (never by gluing per-token strings), so a character
/// whose UTF-8 bytes span several tokens appears only once complete. It is decoded after a few tokens of the prompt
/// and with their text removed, as transformers' pipeline cuts the prompt's text off the full decode: a tokenizer
/// that drops the leading space of a sequence (SentencePiece) then keeps the space of the first generated word.
/// </remarks>
internal sealed class RowText
{
    /// <summary>Prompt tokens decoded before the generated ones: enough for a word boundary, few enough to stay cheap.</summary>
    private const int ContextTokens = 16;

    private readonly IGenerationTokenizer tokenizer;
    private readonly bool skipSpecialTokens;
    private readonly IReadOnlyList<string> stopStrings;
    private readonly int[] context;
    private readonly string contextText;
    private readonly List<int> withContext;
    private string streamed = "";

    public RowText(IGenerationTokenizer tokenizer, IReadOnlyList<int> prompt, GenerationOptions options)
    {
        this.tokenizer = tokenizer;
        skipSpecialTokens = options.SkipSpecialTokens;
        stopStrings = options.StopStrings;
        context = prompt.Skip(Math.Max(0, prompt.Count - ContextTokens)).ToArray();
        contextText = tokenizer.Decode(context, skipSpecialTokens);
        withContext = [.. context];
    }

    private string text = "";
    private bool stale;
    private bool searchStops = true;

    /// <summary>The decoded generated tokens, cut before the first stop string once one is found.</summary>
    public string Text
    {
        get
        {
            if (stale) Decode();
            return text;
        }
    }

    /// <summary>The stop string the text came to contain, if any.</summary>
    public string? FoundStopString { get; private set; }

    /// <summary>
    /// Adds a generated token; true when the text now contains a stop string. An end-of-sequence token is looked
    /// through for none (<paramref name="endOfSequence"/>): EOS stops the row itself, and its own text, when special
    /// tokens are kept, is never cut. Without stop strings the decode waits until the text is read (by the stream, or
    /// once at the end), so plain generation pays for one decode per row.
    /// </summary>
    public bool Add(int id, bool endOfSequence)
    {
        withContext.Add(id);
        stale = true;
        if (endOfSequence) searchStops = false;
        if (stopStrings.Count == 0 || !searchStops) return false;
        Decode();
        return FoundStopString is not null;
    }

    private void Decode()
    {
        stale = false;
        string all = tokenizer.Decode(withContext, skipSpecialTokens);
        string full = all.StartsWith(contextText, StringComparison.Ordinal)
            ? all[contextText.Length..]
            : tokenizer.Decode(withContext.GetRange(context.Length, withContext.Count - context.Length), skipSpecialTokens);
        int cut = -1;
        if (searchStops)
            foreach (string stop in stopStrings)
            {
                int at = full.IndexOf(stop, StringComparison.Ordinal);
                if (at >= 0 && (cut < 0 || at < cut)) (cut, FoundStopString) = (at, stop);
            }
        text = cut >= 0 ? full[..cut] : full;
    }

    /// <summary>
    /// The text not streamed yet that is certain: before the row ends, a trailing U+FFFD (a character whose remaining
    /// bytes have not been generated) and a tail that could be the start of a stop string are held back. At the end
    /// (<paramref name="final"/>) the rest is released, so a row's pieces concatenate to <see cref="Text"/>.
    /// </summary>
    public string TakeStreamable(bool final)
    {
        string current = Text;
        if (current.Length < streamed.Length || string.CompareOrdinal(current, 0, streamed, 0, streamed.Length) != 0)
            throw new InvalidOperationException(
                $"Generation: the tokenizer's decode changed text already streamed (\"{streamed}\" became \"{current}\"); its decoding is not prefix-stable, so this output cannot be streamed exactly.");
        int end = final ? current.Length : CertainLength(current);
        if (end <= streamed.Length) return "";
        string piece = current[streamed.Length..end];
        streamed = current[..end];
        return piece;
    }

    private int CertainLength(string current)
    {
        int end = current.Length;
        while (end > 0 && current[end - 1] == '\uFFFD') end--;
        int hold = 0;
        foreach (string pending in tokenizer.CleansUpSpaces ? stopStrings.Concat(CleanUpPatterns) : stopStrings)
            for (int n = Math.Min(pending.Length - 1, end); n > hold; n--)
                if (string.CompareOrdinal(current, end - n, pending, 0, n) == 0) { hold = n; break; }
        return end - hold;
    }

    // transformers' clean_up_tokenization_spaces (Llama 3's tokenizer_config turns it on) rewrites " ." to "." and the
    // like once the second half arrives, so a tail that could start one of these is not certain yet either: streaming
    // it would have the next token change text already sent.
    private static readonly string[] CleanUpPatterns = [" .", " ?", " !", " ,", " ' ", " n't", " 'm", " 's", " 've", " 're"];
}
