using static LoraSdk.Generators.Tests.GeneratorHarness;

namespace LoraSdk.Generators.Tests;

/// <summary>Checks that a diagnostic fires once, at the marked span.</summary>
internal static class DiagnosticAssert
{
    /// <summary>Exactly one diagnostic, with <paramref name="id"/>, at the marked span of Model0.cs; returns its message.</summary>
    public static string AssertSingle(string id, string markedSource, string extraUsings = "")
    {
        var source = MarkedSource.Parse(Usings + extraUsings + markedSource);
        var diagnostics = AnalyzerDiagnostics(source.Text);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal("Model0.cs", diagnostic.Location.SourceTree?.FilePath);
        Assert.Equal(source.Text.Substring(source.Span.Start, source.Span.Length),
            source.Text.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Equal(source.Span, diagnostic.Location.SourceSpan);
        return diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The ids of every analyzer diagnostic on the program (empty: nothing reported).</summary>
    public static IReadOnlyList<string> DiagnosticIds(string source) =>
        AnalyzerDiagnostics(Usings + source).Select(d => $"{d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}").ToList();
}
