using LoraSdk.Generators.Analysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LoraSdk.Generators.Tests;

/// <summary>Every LORA diagnostic links its help to its own row of docs/generator.md, and that row exists.</summary>
public sealed class DiagnosticHelpLinkTests
{
    private static readonly DiagnosticAnalyzer[] Analyzers = [new LoraClassAnalyzer(), new TargetUsageAnalyzer()];

    [Fact]
    public void Each_diagnostic_links_to_an_anchor_that_docs_generator_md_declares()
    {
        var docs = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "generator.md"));
        var descriptors = Analyzers.SelectMany(a => a.SupportedDiagnostics).ToList();

        Assert.Equal(Enumerable.Range(1, 11).Select(n => $"LORA{n:000}"), descriptors.Select(d => d.Id).Order());
        foreach (var descriptor in descriptors)
        {
            var anchor = descriptor.Id.ToLowerInvariant();
            // No repository address in test builds: the link is the repository-relative page and anchor.
            Assert.Equal($"docs/generator.md#{anchor}", descriptor.HelpLinkUri);
            Assert.Contains($"<a id=\"{anchor}\"></a>{descriptor.Id}", docs);
        }
    }
}
