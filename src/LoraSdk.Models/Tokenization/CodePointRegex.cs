using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LoraSdk.Models;

/// <summary>
/// A tokenizer.json regex (Oniguruma syntax in HF tokenizers) run by .NET's engine so that it matches per code point
/// as Oniguruma does. .NET matches UTF-16 units, so a character outside the BMP (an emoji, CJK extension B) would be
/// two surrogates of category Cs: "😀abc" would split as "😀" + "abc" where HF gives "😀abc" (the emoji is one
/// [^\r\n\p{L}\p{N}] before \p{L}+). Each such character is therefore matched through a stand-in BMP character of the
/// same Unicode category, and the match offsets are mapped back to the original text.
/// </summary>
internal sealed class CodePointRegex
{
    private static readonly Dictionary<UnicodeCategory, char> StandIns = FindStandIns();

    private readonly Regex _regex;

    public CodePointRegex(string pattern, TokenizerJson where)
    {
        try
        {
            _regex = new Regex(pattern, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw where.Error($"regex \"{pattern}\" is not one .NET can run ({e.Message})");
        }
    }

    /// <summary>The (start, length) of every match in <paramref name="text"/>, in UTF-16 offsets of the original text.</summary>
    public List<(int Start, int Length)> Matches(string text)
    {
        var (proxy, originalIndex) = StandInText(text);
        var result = new List<(int, int)>();
        foreach (Match match in _regex.Matches(proxy))
        {
            var start = originalIndex[match.Index];
            var end = originalIndex[match.Index + match.Length];
            result.Add((start, end - start));
        }
        return result;
    }

    /// <summary>The text with every supplementary character replaced by its stand-in, and where each stand-in text index starts in the original.</summary>
    private static (string Text, int[] OriginalIndex) StandInText(string text)
    {
        var builder = new StringBuilder(text.Length);
        var index = new List<int>(text.Length + 1);
        for (var i = 0; i < text.Length;)
        {
            var rune = Rune.GetRuneAt(text, i);
            index.Add(i);
            builder.Append(rune.IsBmp ? (char)rune.Value : StandIns[Rune.GetUnicodeCategory(rune)]);
            i += rune.Utf16SequenceLength;
        }
        index.Add(text.Length);
        return (builder.ToString(), index.ToArray());
    }

    // The first BMP character of each category past Latin-1 (so no stand-in is an ASCII letter a pattern names
    // literally, nor one that case-folds to one).
    private static Dictionary<UnicodeCategory, char> FindStandIns()
    {
        var standIns = new Dictionary<UnicodeCategory, char>();
        for (int c = 0x100; c <= 0xFFFF; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF) continue;
            standIns.TryAdd(CharUnicodeInfo.GetUnicodeCategory((char)c), (char)c);
        }
        return standIns;
    }
}
