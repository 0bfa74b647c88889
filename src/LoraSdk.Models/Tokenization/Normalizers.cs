using System.Text;

namespace LoraSdk.Models;

/// <summary>A tokenizer.json <c>normalizer</c> step, applied to each piece of text between added tokens.</summary>
internal interface ITextNormalizer
{
    string Normalize(string text);
}

/// <summary>Reads tokenizer.json's <c>normalizer</c>: Sequence, NFC / NFD / NFKC / NFKD, Prepend, Replace.</summary>
internal static class Normalizers
{
    private const string Supported = "Sequence, NFC, NFD, NFKC, NFKD, Prepend, Replace";

    public static ITextNormalizer? Read(TokenizerJson? json)
    {
        if (json is not { } node) return null;
        var type = node.Type();
        return type switch
        {
            "Sequence" => new SequenceNormalizer(node.Required("normalizers").Items().Select(n => Read(n)!).ToArray()),
            "NFC" => new UnicodeNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeNormalizer(NormalizationForm.FormKD),
            "Prepend" => new PrependNormalizer(node.Required("prepend").String()),
            "Replace" => new ReplaceNormalizer(TextPattern.Read(node.Required("pattern")), node.Required("content").String()),
            _ => throw node.Unsupported(type, Supported),
        };
    }

    private sealed record SequenceNormalizer(ITextNormalizer[] Steps) : ITextNormalizer
    {
        public string Normalize(string text) => Steps.Aggregate(text, (current, step) => step.Normalize(current));
    }

    private sealed record UnicodeNormalizer(NormalizationForm Form) : ITextNormalizer
    {
        public string Normalize(string text) => text.Normalize(Form);
    }

    // HF prepends only to a non-empty piece.
    private sealed record PrependNormalizer(string Prefix) : ITextNormalizer
    {
        public string Normalize(string text) => text.Length == 0 ? text : Prefix + text;
    }

    private sealed record ReplaceNormalizer(TextPattern Pattern, string Content) : ITextNormalizer
    {
        public string Normalize(string text) => Pattern.ReplaceAll(text, Content);
    }
}

/// <summary>A tokenizer.json pattern: <c>{"String": "literal"}</c> or <c>{"Regex": "..."}</c>.</summary>
internal sealed class TextPattern
{
    private readonly string? _literal;
    private readonly CodePointRegex? _regex;

    private TextPattern(string? literal, CodePointRegex? regex) => (_literal, _regex) = (literal, regex);

    public static TextPattern Read(TokenizerJson json)
    {
        if (json.Optional("String") is { } literal) return new TextPattern(literal.String(), null);
        if (json.Optional("Regex") is { } regex) return new TextPattern(null, new CodePointRegex(regex.String(), regex));
        throw json.Error("must be {\"String\": ...} or {\"Regex\": ...}");
    }

    /// <summary>Non-overlapping matches from the left, as (start, length).</summary>
    public List<(int Start, int Length)> Matches(string text)
    {
        if (_regex is not null) return _regex.Matches(text);
        var matches = new List<(int, int)>();
        if (_literal!.Length == 0) return matches;
        for (var at = text.IndexOf(_literal, StringComparison.Ordinal); at >= 0; at = text.IndexOf(_literal, at + _literal.Length, StringComparison.Ordinal))
            matches.Add((at, _literal.Length));
        return matches;
    }

    public string ReplaceAll(string text, string content)
    {
        var builder = new StringBuilder(text.Length);
        var last = 0;
        foreach (var (start, length) in Matches(text))
        {
            builder.Append(text, last, start - last).Append(content);
            last = start + length;
        }
        return builder.Append(text, last, text.Length - last).ToString();
    }
}
