namespace LoraSdk.Models;

/// <summary>
/// Turns ids arriving one at a time (generation) into text pieces whose concatenation is the decoded text, as HF
/// tokenizers' DecodeStream does. Decoding each id alone is wrong for both tokenizer kinds: a byte-level token may hold
/// half a UTF-8 character, and SentencePiece decoders strip the space of a sequence's first token. So each step decodes
/// a short window (the ids since the last emitted piece plus the ids before them as context) and emits what the new id
/// added, holding text back while it ends in an incomplete character (U+FFFD). Transformers'
/// <c>clean_up_tokenization_spaces</c> is not applied: it rewrites text across piece boundaries.
/// </summary>
public sealed class TokenStreamDecoder
{
    private readonly HuggingFaceTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<int> _ids = [];
    private string _prefix = "";
    private int _prefixIndex;

    /// <summary>A decoder for one sequence of <paramref name="tokenizer"/>'s ids.</summary>
    public TokenStreamDecoder(HuggingFaceTokenizer tokenizer, bool skipSpecialTokens = true)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>The text <paramref name="id"/> adds, or "" while it is not yet a whole character (or adds nothing).</summary>
    public string Push(int id)
    {
        _ids.Add(id);
        var text = _tokenizer.DecodeRaw(_ids, _skipSpecialTokens);
        if (text.Length <= _prefix.Length || text.EndsWith('\uFFFD')) return "";
        if (!text.StartsWith(_prefix, StringComparison.Ordinal))
            throw new InvalidOperationException("the decoded text no longer starts with the text already emitted; this tokenizer's decoder cannot be streamed");
        var piece = text[_prefix.Length..];
        // Keep the ids from the previous piece on as context for the next steps.
        var newPrefixIndex = _ids.Count - _prefixIndex;
        _ids.RemoveRange(0, _prefixIndex);
        _prefix = _tokenizer.DecodeRaw(_ids, _skipSpecialTokens);
        _prefixIndex = newPrefixIndex;
        return piece;
    }
}
