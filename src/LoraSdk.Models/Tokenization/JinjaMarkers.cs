using System.Text;
using System.Text.RegularExpressions;

namespace LoraSdk.Models;

/// <summary>
/// Finds fragments of Jinja expressions in a chat template whatever their spacing and quoting, so a family is
/// recognised by what its template computes: <c>'[INST] ' + message['content'] + ' [/INST]'</c> also matches
/// <c>"[INST] " + message.content + " [/INST]"</c>. Inside string literals spaces are exact, and a newline matches
/// either a real newline or the escape <c>\n</c>.
/// </summary>
internal static class JinjaMarkers
{
    /// <summary>Whether <paramref name="template"/> contains the expression made of <paramref name="parts"/> (string literals written with single quotes).</summary>
    public static bool Has(string template, params string[] parts) => Pattern(parts).IsMatch(template);

    /// <summary>The text of the first literal the pattern captures with a <c>(?&lt;text&gt;...)</c> part, or null.</summary>
    public static string? Capture(string template, params string[] parts)
    {
        var match = Pattern(parts).Match(template);
        return match.Success ? Unescape(match.Groups["text"].Value) : null;
    }

    /// <summary>A literal whose content is captured: used inside <see cref="Capture"/>'s parts.</summary>
    public const string CapturedText = "\u0001";

    private static Regex Pattern(string[] parts)
    {
        var pattern = new StringBuilder();
        foreach (var part in parts)
        {
            if (pattern.Length > 0) pattern.Append(@"\s*");
            pattern.Append(Part(part));
        }
        return new Regex(pattern.ToString(), RegexOptions.CultureInvariant);
    }

    private static string Part(string part)
    {
        if (part.StartsWith('\'') && part.EndsWith('\'') && part.Length >= 2)
        {
            var body = part[1..^1];
            if (body.Contains(CapturedText)) return Literal(body.Replace(CapturedText, "\u0002"), captured: true);
            return Literal(body, captured: false);
        }
        var member = Regex.Match(part, @"^(\w+)\['(\w+)'\]$");
        if (member.Success)
            return $@"{member.Groups[1].Value}\s*(?:\[\s*['""]{member.Groups[2].Value}['""]\s*\]|\.{member.Groups[2].Value})";
        return Regex.Escape(part);
    }

    private static string Literal(string body, bool captured)
    {
        string Escape(string text) => Regex.Escape(text).Replace(@"\n", @"(?:\n|\\n)");
        var inner = captured
            ? string.Join(@"(?<text>[^'""]*?)", body.Split('\u0002').Select(Escape))
            : Escape(body);
        return $@"(?:'{inner}'|""{inner}"")";
    }

    private static string Unescape(string text) => text.Replace(@"\n", "\n");
}
