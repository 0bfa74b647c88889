using System.Globalization;
using System.Text;

namespace LoraSdk.Models;

/// <summary>One entry of tokenizer.json's <c>added_tokens</c>.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord, bool LeftStrip, bool RightStrip, bool Normalized);

/// <summary>
/// HF's AddedVocabulary: added tokens are cut out of the text before normalization and pre-tokenization, so
/// "&lt;|eot_id|&gt;" inside a message is one id however the model would split it. Tokens with
/// <c>normalized: false</c> are matched in the raw text; the rest are matched in each remaining piece after the
/// normalizer ran (their own content normalized alike). Matching is leftmost-longest; <c>single_word</c> rejects a
/// match with a word character on either side; <c>lstrip</c> / <c>rstrip</c> swallow the whitespace beside it.
/// </summary>
internal sealed class AddedVocabulary
{
    private readonly (string Content, AddedToken Token)[] _raw;
    private readonly (string Content, AddedToken Token)[] _normalizedForm;

    public IReadOnlyList<AddedToken> Tokens { get; }

    public AddedVocabulary(IReadOnlyList<AddedToken> tokens, ITextNormalizer? normalizer)
    {
        Tokens = tokens;
        _raw = tokens.Where(t => !t.Normalized && t.Content.Length > 0).Select(t => (t.Content, t)).ToArray();
        _normalizedForm = tokens.Where(t => t.Normalized && t.Content.Length > 0)
            .Select(t => (normalizer?.Normalize(t.Content) ?? t.Content, t)).Where(p => p.Item1.Length > 0).ToArray();
    }

    /// <summary>
    /// tokenizer.json's <c>added_tokens</c>, with the ids HF tokenizers gives them: a token already in the model's
    /// vocabulary keeps its vocabulary id, any other takes the next id after the vocabulary (and after the added
    /// tokens so far). The id written in the file is only checked: HF would warn and use its own, so a file whose ids
    /// disagree is refused rather than loaded with ids the model may not have been trained with.
    /// </summary>
    public static List<AddedToken> Read(TokenizerJson? json, BpeModel model)
    {
        var tokens = new List<AddedToken>();
        if (json is not { } list) return tokens;
        foreach (var item in list.Items())
        {
            var token = ReadToken(item, item.Required("content").String());
            var declared = item.Required("id");
            if (Add(tokens, token, model) is { } id && id != declared.Int())
                throw declared.Error($"is {declared.Int()} for \"{token.Content}\", but HF tokenizers gives it id {id} (the vocabulary's id, or the next one after the vocabulary and the added tokens before it)");
        }
        return tokens;
    }

    /// <summary>An AddedToken object's flags (<c>normalized</c> defaults to the opposite of <c>special</c>, as in HF).</summary>
    public static AddedToken ReadToken(TokenizerJson item, string content)
    {
        var special = item.OptionalBool("special", false);
        return new AddedToken(-1, content, special, item.OptionalBool("single_word", false), item.OptionalBool("lstrip", false),
            item.OptionalBool("rstrip", false), item.OptionalBool("normalized", !special));
    }

    /// <summary>Adds (or updates the flags of) a token as HF's AddedVocabulary.add_tokens does; returns its id, null for an empty token.</summary>
    public static int? Add(List<AddedToken> tokens, AddedToken token, BpeModel model)
    {
        if (token.Content.Length == 0) return null;
        var existing = tokens.FindIndex(t => t.Content == token.Content);
        if (existing >= 0)
        {
            tokens[existing] = token with { Id = tokens[existing].Id };
            return tokens[existing].Id;
        }
        var vocabularySize = model.Vocabulary.Count;
        int id;
        if (model.Vocabulary.TryGetValue(token.Content, out var vocabularyId)) id = vocabularyId;
        else if (tokens.Count == 0) id = vocabularySize;
        else
        {
            var max = tokens.Max(t => t.Id);
            id = max >= vocabularySize || vocabularySize == 0 ? max + 1 : vocabularySize;
        }
        tokens.Add(token with { Id = id });
        return id;
    }

    /// <summary>The text cut at the raw-matched tokens, each other piece normalized and cut at the normalized-matched ones.</summary>
    public List<TextPiece> Split(string text, ITextNormalizer? normalizer)
    {
        var pieces = new List<TextPiece>();
        foreach (var piece in Cut(new TextPiece(text, true), _raw))
        {
            if (piece.AddedTokenId is not null) { pieces.Add(piece); continue; }
            var normalized = normalizer is null ? piece : piece with { Text = normalizer.Normalize(piece.Text) };
            pieces.AddRange(Cut(normalized, _normalizedForm));
        }
        return pieces;
    }

    private static IEnumerable<TextPiece> Cut(TextPiece piece, (string Content, AddedToken Token)[] tokens)
    {
        var text = piece.Text;
        if (tokens.Length == 0 || text.Length == 0)
        {
            if (text.Length > 0) yield return piece;
            yield break;
        }
        var taken = 0;
        var next = new int[tokens.Length];
        Array.Fill(next, Unsearched);
        for (var searchFrom = 0; searchFrom < text.Length;)
        {
            if (LeftmostLongest(text, searchFrom, tokens, next) is not { } found) break;
            var (start, token) = found;
            var stop = start + token.Content.Length;
            searchFrom = stop;
            if (token.Token.SingleWord && (EndsWithWord(text, start) || StartsWithWord(text, stop))) continue;
            if (token.Token.LeftStrip)
            {
                var spaceStart = start;
                while (spaceStart > 0 && IsWhiteSpaceBefore(text, spaceStart)) spaceStart -= char.IsLowSurrogate(text[spaceStart - 1]) ? 2 : 1;
                start = Math.Max(spaceStart, taken);
            }
            if (token.Token.RightStrip)
            {
                while (stop < text.Length && IsWhiteSpace(Rune.GetRuneAt(text, stop))) stop += Rune.GetRuneAt(text, stop).Utf16SequenceLength;
            }
            if (taken < start) yield return new TextPiece(text[taken..start], piece.StartsText && taken == 0);
            yield return new TextPiece(text[start..stop], piece.StartsText && start == 0, token.Token.Id);
            taken = stop;
        }
        if (taken < text.Length) yield return new TextPiece(text[taken..], piece.StartsText && taken == 0);
    }

    private const int Unsearched = -2;

    // The leftmost match, the longest of those starting there. next[t] caches where token t next occurs (positions
    // only move forward), so a text with many added tokens is scanned once per token, not once per match.
    private static (int Start, (string Content, AddedToken Token) Token)? LeftmostLongest(
        string text, int from, (string Content, AddedToken Token)[] tokens, int[] next)
    {
        var best = -1;
        for (var t = 0; t < tokens.Length; t++)
        {
            if (next[t] == Unsearched || (next[t] >= 0 && next[t] < from)) next[t] = text.IndexOf(tokens[t].Content, from, StringComparison.Ordinal);
            if (next[t] < 0) continue;
            if (best < 0 || next[t] < next[best] || (next[t] == next[best] && tokens[t].Content.Length > tokens[best].Content.Length)) best = t;
        }
        return best < 0 ? null : (next[best], tokens[best]);
    }

    private static bool IsWhiteSpaceBefore(string text, int index) =>
        IsWhiteSpace(char.IsLowSurrogate(text[index - 1]) && index >= 2 ? Rune.GetRuneAt(text, index - 2) : new Rune(text[index - 1]));

    // Rust's \s and char::is_whitespace: the Unicode White_Space property.
    private static bool IsWhiteSpace(Rune rune) =>
        rune.Value is >= 0x09 and <= 0x0D or 0x20 or 0x85 or 0xA0 or 0x1680 or >= 0x2000 and <= 0x200A or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    // Rust regex's \w: alphabetic, marks, decimal digits, connector punctuation, join controls.
    private static bool IsWordCharacter(Rune rune) =>
        rune.Value is 0x200C or 0x200D ||
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber or UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark or UnicodeCategory.DecimalDigitNumber
            or UnicodeCategory.ConnectorPunctuation;

    private static bool EndsWithWord(string text, int end)
    {
        if (end == 0) return false;
        var rune = char.IsLowSurrogate(text[end - 1]) && end >= 2 ? Rune.GetRuneAt(text, end - 2) : new Rune(text[end - 1]);
        return IsWordCharacter(rune);
    }

    private static bool StartsWithWord(string text, int start) => start < text.Length && IsWordCharacter(Rune.GetRuneAt(text, start));
}
