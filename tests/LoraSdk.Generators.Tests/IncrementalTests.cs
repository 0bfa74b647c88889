using System.Collections;
using System.Reflection;
using LoraSdk.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using static LoraSdk.Generators.Tests.GeneratorHarness;

namespace LoraSdk.Generators.Tests;

/// <summary>The pipeline caches what did not change and holds no compiler objects between runs.</summary>
public sealed class IncrementalTests
{
    private static string Model(string name, int rank) => Usings + $$"""
        namespace Demo;

        [LoRA(rank: {{rank}})]
        public sealed partial class {{name}} : nn.Module<Tensor, Tensor>
        {
            private readonly Linear layer = nn.Linear(4, 4);
            public {{name}}() : base("{{name}}") => RegisterComponents();
            public override Tensor forward(Tensor x) => layer.forward(x);
        }
        """;

    [Fact]
    public void An_unrelated_edit_leaves_every_model_and_output_cached()
    {
        var compilation = Compile(Model("First", 4), Model("Second", 8));
        var driver = CreateDriver().RunGenerators(compilation);

        var unrelated = CSharpSyntaxTree.ParseText("public static class Unrelated { public static int Answer => 42; }", GeneratorHarness.ParseOptions, path: "Unrelated.cs");
        driver = driver.RunGenerators(compilation.AddSyntaxTrees(unrelated));

        var result = driver.GetRunResult().Results.Single();
        var models = result.TrackedSteps[LoraGenerator.ModelStep].SelectMany(s => s.Outputs).ToList();
        Assert.Equal(2, models.Count);
        Assert.All(models, o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.All(OutputSteps(result), o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
    }

    [Fact]
    public void Editing_one_rank_regenerates_only_that_class()
    {
        var compilation = Compile(Model("First", 4), Model("Second", 8));
        var driver = CreateDriver().RunGenerators(compilation);

        var first = compilation.SyntaxTrees.Single(t => t.FilePath == "Model0.cs");
        var edited = CSharpSyntaxTree.ParseText(Model("First", 16), GeneratorHarness.ParseOptions, path: "Model0.cs");
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(first, edited));

        var result = driver.GetRunResult().Results.Single();
        var reasons = result.TrackedSteps[LoraGenerator.ModelStep].SelectMany(s => s.Outputs)
            .ToDictionary(o => ((LoraSdk.Generators.Records.LoraClassModel)o.Value).DisplayName, o => o.Reason);
        Assert.Equal(IncrementalStepRunReason.Modified, reasons["Demo.First"]);
        Assert.Contains(reasons["Demo.Second"], new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });

        var outputs = OutputSteps(result).ToList();
        Assert.Single(outputs, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("rank: 16", result.GeneratedSources.Single(s => s.HintName == "Demo.First.LoRA.g.cs").SourceText.ToString());
    }

    [Fact]
    public void Pipeline_models_hold_no_symbols_syntax_or_compilations()
    {
        var driver = CreateDriver().RunGenerators(Compile(Model("First", 4), Usings + """
            namespace Demo;
            public static partial class Outer
            {
                [LoRA(rank: 2, Targets = ["conv"])]
                public sealed partial class Net<T> : nn.Module<Tensor, Tensor>
                {
                    private readonly Conv2d conv = nn.Conv2d(1, 2, 3);
                    [LoRA(3)] private readonly Embedding table = nn.Embedding(5, 2);
                    public Net() : base("n") => RegisterComponents();
                    public override Tensor forward(Tensor x) => conv.call(x) + table.forward(x);
                }
            }
            """));

        var models = driver.GetRunResult().Results.Single().TrackedSteps[LoraGenerator.ModelStep]
            .SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
        Assert.Equal(2, models.Count);
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var model in models) Walk(model, "model", visited);
        Assert.True(visited.Count > 20, $"only {visited.Count} objects reached: the walk is not looking inside the models");
    }

    private static IEnumerable<(object Value, IncrementalStepRunReason Reason)> OutputSteps(GeneratorRunResult result) =>
        result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs);

    private static readonly Type[] Forbidden = [typeof(ISymbol), typeof(SyntaxNode), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree), typeof(Location)];

    /// <summary>Every object reachable through fields, arrays and collections must be a plain value.</summary>
    private static void Walk(object? value, string path, HashSet<object> visited)
    {
        if (value is null) return;
        var type = value.GetType();
        Assert.False(Forbidden.Any(f => f.IsAssignableFrom(type)) || type == typeof(SyntaxToken),
            $"{path} is a {type.FullName}: pipeline models must not hold compiler objects");
        if (type.IsPrimitive || value is string || type.IsEnum || !visited.Add(value)) return;

        if (value is IEnumerable sequence)
        {
            int i = 0;
            foreach (var item in sequence) Walk(item, $"{path}[{i++}]", visited);
        }
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                Walk(field.GetValue(value), $"{path}.{field.Name}", visited);
    }
}
