using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using LoraSdk.Generators;
using LoraSdk.Generators.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LoraSdk.Generators.Tests;

/// <summary>Compiles test sources against .NET 10, TorchSharp and LoraSdk, and runs the generator and analyzers on them.</summary>
internal static class GeneratorHarness
{
    public const string Usings = """
        using LoraSdk;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    public static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default
        .WithLanguageVersion(LanguageVersion.Latest)
        .WithFeatures([new("InterceptorsNamespaces", "LoraSdk.Generated")]);

    private static readonly ImmutableArray<MetadataReference> References =
    [
        .. Net100.References.All,
        MetadataReference.CreateFromFile(typeof(LoRAAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location),
    ];

    /// <summary>One syntax tree per source, named <c>Model0.cs</c>, <c>Model1.cs</c>, …</summary>
    public static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create(
        "TestModels",
        sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Model{i}.cs")),
        References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
            // TorchSharp is built against .NET 8: the SDK suppresses these unification notes too.
            .WithSpecificDiagnosticOptions([new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]));

    public static GeneratorDriver CreateDriver() => CSharpGeneratorDriver.Create(
        [new LoraGenerator().AsSourceGenerator()],
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns the generated files by hint name and the compilation that includes them.</summary>
    public static (IReadOnlyDictionary<string, string> Files, Compilation Output) Generate(params string[] sources)
    {
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(Compile(sources), out var output, out var diagnostics);
        Assert.Empty(diagnostics);
        var files = driver.GetRunResult().GeneratedTrees.ToDictionary(
            t => Path.GetFileName(t.FilePath), t => t.GetText().ToString());
        return (files, output);
    }

    /// <summary>Compiler errors of the generated program (generated code must compile cleanly, warnings included).</summary>
    public static IReadOnlyList<Diagnostic> CompilerProblems(Compilation output) =>
        output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();

    /// <summary>The analyzers' diagnostics on the program with its generated code, as a build sees them.</summary>
    public static IReadOnlyList<Diagnostic> AnalyzerDiagnostics(params string[] sources)
    {
        CreateDriver().RunGeneratorsAndUpdateCompilation(Compile(sources), out var output, out _);
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new LoraClassAnalyzer(), new TargetUsageAnalyzer());
        return output.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
    }
}
