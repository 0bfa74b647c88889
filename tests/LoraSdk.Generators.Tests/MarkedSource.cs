using Microsoft.CodeAnalysis.Text;

namespace LoraSdk.Generators.Tests;

/// <summary>Source with one <c>[|…|]</c> marker: the text without it and the marked span (where a diagnostic must point).</summary>
internal sealed record MarkedSource(string Text, TextSpan Span)
{
    public static MarkedSource Parse(string marked)
    {
        int start = marked.IndexOf("[|", StringComparison.Ordinal);
        int end = marked.IndexOf("|]", StringComparison.Ordinal);
        if (start < 0 || end < start) throw new ArgumentException("The source needs one [| … |] marker.", nameof(marked));
        var text = marked.Remove(end, 2).Remove(start, 2);
        return new MarkedSource(text, TextSpan.FromBounds(start, end - 2));
    }
}
