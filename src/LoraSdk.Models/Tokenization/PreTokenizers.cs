using System.Globalization;
using System.Text;

namespace LoraSdk.Models;

/// <summary>A tokenizer.json <c>pre_tokenizer</c> step: splits (and may rewrite) one piece of text.</summary>
internal interface IPreTokenizer
{
    IEnumerable<TextPiece> Split(TextPiece piece);
}

/// <summary>Reads tokenizer.json's <c>pre_tokenizer</c>: Sequence, ByteLevel, Split, Metaspace, Digits.</summary>
internal static class PreTokenizers
{
    private const string Supported = "Sequence, ByteLevel, Split, Metaspace, Digits";

    /// <summary>GPT-2's pattern, which ByteLevel splits with when <c>use_regex</c> is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static IPreTokenizer? Read(TokenizerJson? json)
    {
        if (json is not { } node) return null;
        var type = node.Type();
        return type switch
        {
            "Sequence" => new SequencePreTokenizer(node.Required("pretokenizers").Items().Select(p => Read(p)!).ToArray()),
            "ByteLevel" => new ByteLevelPreTokenizer(
                node.OptionalBool("add_prefix_space", true),
                node.OptionalBool("use_regex", true) ? new CodePointRegex(Gpt2Pattern, node) : null),
            "Split" => new SplitPreTokenizer(TextPattern.Read(node.Required("pattern")), ReadBehavior(node.Required("behavior")), node.OptionalBool("invert", false)),
            "Metaspace" => ReadMetaspace(node),
            "Digits" => new DigitsPreTokenizer(node.OptionalBool("individual_digits", false)),
            _ => throw node.Unsupported(type, Supported),
        };
    }

    private static SplitBehavior ReadBehavior(TokenizerJson json) => json.String() switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        var other => throw json.Error($"\"{other}\" is not a split behavior (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)"),
    };

    private static MetaspacePreTokenizer ReadMetaspace(TokenizerJson node)
    {
        var replacement = MetaspaceReplacement(node);
        return new MetaspacePreTokenizer(replacement, MetaspaceScheme(node), node.OptionalBool("split", true));
    }

    public static string MetaspaceReplacement(TokenizerJson node)
    {
        var replacement = node.Required("replacement");
        var text = replacement.String();
        if (text.EnumerateRunes().Count() != 1) throw replacement.Error($"must be one character, not \"{text}\"");
        return text;
    }

    /// <summary><c>prepend_scheme</c> ("always" / "first" / "never"), or the older <c>add_prefix_space</c> (true = always).</summary>
    public static MetaspacePrepend MetaspaceScheme(TokenizerJson node)
    {
        if (node.Optional("prepend_scheme") is { } scheme)
        {
            return scheme.String() switch
            {
                "always" => MetaspacePrepend.Always,
                "first" => MetaspacePrepend.First,
                "never" => MetaspacePrepend.Never,
                var other => throw scheme.Error($"\"{other}\" is not a prepend scheme (always, first, never)"),
            };
        }
        return node.OptionalBool("add_prefix_space", true) ? MetaspacePrepend.Always : MetaspacePrepend.Never;
    }

    private sealed record SequencePreTokenizer(IPreTokenizer[] Steps) : IPreTokenizer
    {
        public IEnumerable<TextPiece> Split(TextPiece piece)
        {
            IEnumerable<TextPiece> pieces = [piece];
            foreach (var step in Steps) pieces = pieces.SelectMany(step.Split).ToList();
            return pieces;
        }
    }

    // HF adds the prefix space to every piece between added tokens, splits with GPT-2's regex, then maps the UTF-8
    // bytes of each split to the byte alphabet.
    private sealed record ByteLevelPreTokenizer(bool AddPrefixSpace, CodePointRegex? Regex) : IPreTokenizer
    {
        public IEnumerable<TextPiece> Split(TextPiece piece)
        {
            var text = AddPrefixSpace && piece.Text.Length > 0 && !piece.Text.StartsWith(' ') ? " " + piece.Text : piece.Text;
            var whole = piece with { Text = text };
            var splits = Regex is null ? [whole] : whole.Slices(SplitBehaviors.Apply(text.Length, Regex.Matches(text), SplitBehavior.Isolated));
            return splits.Select(s => s with { Text = ByteLevelAlphabet.Encode(s.Text) });
        }
    }

    private sealed record SplitPreTokenizer(TextPattern Pattern, SplitBehavior Behavior, bool Invert) : IPreTokenizer
    {
        public IEnumerable<TextPiece> Split(TextPiece piece) =>
            piece.Slices(SplitBehaviors.Apply(piece.Text.Length, Pattern.Matches(piece.Text), Behavior, Invert));
    }

    private sealed record MetaspacePreTokenizer(string Replacement, MetaspacePrepend Prepend, bool SplitWords) : IPreTokenizer
    {
        public IEnumerable<TextPiece> Split(TextPiece piece)
        {
            var text = piece.Text.Replace(" ", Replacement, StringComparison.Ordinal);
            var prepend = text.Length > 0 && !text.StartsWith(Replacement, StringComparison.Ordinal) &&
                          (Prepend == MetaspacePrepend.Always || (Prepend == MetaspacePrepend.First && piece.StartsText));
            if (prepend) text = Replacement + text;
            var whole = piece with { Text = text };
            if (!SplitWords) return [whole];
            var matches = new List<(int, int)>();
            for (var at = text.IndexOf(Replacement, StringComparison.Ordinal); at >= 0; at = text.IndexOf(Replacement, at + Replacement.Length, StringComparison.Ordinal))
                matches.Add((at, Replacement.Length));
            return whole.Slices(SplitBehaviors.Apply(text.Length, matches, SplitBehavior.MergedWithNext));
        }
    }

    // Rust's char::is_numeric: general categories Nd, Nl, No.
    private sealed record DigitsPreTokenizer(bool Individual) : IPreTokenizer
    {
        public IEnumerable<TextPiece> Split(TextPiece piece)
        {
            var matches = new List<(int, int)>();
            for (var i = 0; i < piece.Text.Length;)
            {
                var rune = Rune.GetRuneAt(piece.Text, i);
                if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber)
                    matches.Add((i, rune.Utf16SequenceLength));
                i += rune.Utf16SequenceLength;
            }
            return piece.Slices(SplitBehaviors.Apply(piece.Text.Length, matches, Individual ? SplitBehavior.Isolated : SplitBehavior.Contiguous));
        }
    }
}

/// <summary>Metaspace's <c>prepend_scheme</c>.</summary>
internal enum MetaspacePrepend { Always, First, Never }

/// <summary>HF's SplitDelimiterBehavior: what becomes of the matched delimiters when a piece is split.</summary>
internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

/// <summary>HF's split of a piece into the spans between and of the matches, then merged by the behavior.</summary>
internal static class SplitBehaviors
{
    public static List<(int Start, int Length)> Apply(int length, List<(int Start, int Length)> matches, SplitBehavior behavior, bool invert = false)
    {
        // Every span with whether it is a match (the inverted pattern treats the gaps as the matches).
        var spans = new List<(int Start, int End, bool IsMatch)>();
        var previous = 0;
        foreach (var (start, matchLength) in matches)
        {
            if (previous != start) spans.Add((previous, start, invert));
            spans.Add((start, start + matchLength, !invert));
            previous = start + matchLength;
        }
        if (previous != length) spans.Add((previous, length, invert));

        var merged = new List<(int Start, int End)>();
        switch (behavior)
        {
            case SplitBehavior.Removed:
                merged.AddRange(spans.Where(s => !s.IsMatch).Select(s => (s.Start, s.End)));
                break;
            case SplitBehavior.Isolated:
                merged.AddRange(spans.Select(s => (s.Start, s.End)));
                break;
            case SplitBehavior.MergedWithPrevious:
            {
                var previousMatch = false;
                foreach (var s in spans)
                {
                    if (s.IsMatch && !previousMatch && merged.Count > 0) merged[^1] = (merged[^1].Start, s.End);
                    else merged.Add((s.Start, s.End));
                    previousMatch = s.IsMatch;
                }
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                var previousMatch = false;
                for (var i = spans.Count - 1; i >= 0; i--)
                {
                    var s = spans[i];
                    if (s.IsMatch && !previousMatch && merged.Count > 0) merged[^1] = (s.Start, merged[^1].End);
                    else merged.Add((s.Start, s.End));
                    previousMatch = s.IsMatch;
                }
                merged.Reverse();
                break;
            }
            case SplitBehavior.Contiguous:
            {
                var previousMatch = false;
                foreach (var s in spans)
                {
                    if (s.IsMatch == previousMatch && merged.Count > 0) merged[^1] = (merged[^1].Start, s.End);
                    else merged.Add((s.Start, s.End));
                    previousMatch = s.IsMatch;
                }
                break;
            }
        }
        return merged.Select(m => (m.Start, m.End - m.Start)).ToList();
    }
}
