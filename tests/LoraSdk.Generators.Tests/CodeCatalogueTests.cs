using System.Text.RegularExpressions;
using LoraSdk.Data;
using LoraSdk.Generators.Analysis;
using LoraSdk.Shared;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LoraSdk.Generators.Tests;

/// <summary>
/// Codes have one catalogue per range: LORA0xx the generator's diagnostics (docs/generator.md), LORA1xx the build's
/// <c>FineTuneContract.BuildCodes</c> (docs/build-integration.md, docs/torchsharp-linux.md), LORA2xx the runtime's
/// <c>LoraErrorCodes</c> (docs/training.md). Every code any source, targets file, template or doc names is in its
/// range's catalogue, and every catalogued code has its row in its range's pages.
/// </summary>
public sealed partial class CodeCatalogueTests
{
    private static readonly string Root = typeof(CodeCatalogueTests).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false).Cast<System.Reflection.AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    private static readonly (char Range, IReadOnlyCollection<string> Codes, string[] Pages)[] Catalogues =
    [
        ('0', new DiagnosticAnalyzer[] { new LoraClassAnalyzer(), new TargetUsageAnalyzer() }.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).ToHashSet(),
            ["docs/generator.md"]),
        ('1', FineTuneContract.BuildCodes.All, ["docs/build-integration.md", "docs/torchsharp-linux.md"]),
        ('2', LoraErrorCodes.All, ["docs/training.md"]),
    ];

    [GeneratedRegex(@"LORA\d{3}")]
    private static partial Regex Code();

    /// <summary>A documented range, <c>LORA130–132</c>.</summary>
    [GeneratedRegex(@"LORA(\d{3})–(\d{3})")]
    private static partial Regex CodeRange();

    [Fact]
    public void Every_code_the_repository_names_is_in_the_catalogue_of_its_range()
    {
        var catalogued = Catalogues.SelectMany(c => c.Codes).ToHashSet();
        var unknown = NamedCodes().Where(n => !catalogued.Contains(n.Code)).Select(n => $"{n.Code} in {n.File}").Distinct().ToList();
        Assert.True(unknown.Count == 0, "Codes that no catalogue defines (add them to their range's catalogue, or fix the typo):\n" + string.Join("\n", unknown));
    }

    [Fact]
    public void Each_catalogue_holds_only_its_range_and_every_code_has_its_docs_row()
    {
        foreach (var (range, codes, pages) in Catalogues)
        {
            Assert.NotEmpty(codes);
            Assert.All(codes, c => Assert.Matches($"^LORA{range}\\d\\d$", c));
            Assert.Equal(codes.Count, codes.Distinct().Count());
            string[] rows = pages.SelectMany(p => File.ReadAllLines(Path.Combine(Root, p))).Where(l => l.StartsWith('|')).ToArray();
            var undocumented = codes.Where(c => !rows.Any(row => Names(row, c))).ToList();
            Assert.True(undocumented.Count == 0, $"LORA{range}xx codes without a table row in {string.Join(" or ", pages)}: {string.Join(", ", undocumented)}");
        }
    }

    /// <summary>True when a docs row's first cell is <paramref name="code"/> or a range that covers it.</summary>
    private static bool Names(string row, string code)
    {
        string first = row.Split('|', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        if (Code().Matches(first).Any(m => m.Value == code) && !CodeRange().IsMatch(first)) return true;
        int number = int.Parse(code[4..]);
        return CodeRange().Matches(first).Any(m => int.Parse(m.Groups[1].Value) <= number && number <= int.Parse(m.Groups[2].Value));
    }

    /// <summary>Every code named in the sources, build files, templates and docs (the end of a documented range counts as named).</summary>
    private static IEnumerable<(string Code, string File)> NamedCodes()
    {
        string[] folders = ["src", "generators", "templates", "samples", "docs"];
        string[] extensions = [".cs", ".targets", ".props", ".md", ".json", ".template.config"];
        var files = folders.Select(f => Path.Combine(Root, f)).Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories))
            .Where(f => extensions.Contains(Path.GetExtension(f)) && !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Append(Path.Combine(Root, "README.md"));
        foreach (string file in files)
        {
            string text = File.ReadAllText(file);
            string relative = Path.GetRelativePath(Root, file);
            foreach (Match m in Code().Matches(text)) yield return (m.Value, relative);
            foreach (Match m in CodeRange().Matches(text)) yield return ("LORA" + m.Groups[2].Value, relative);
        }
    }
}
