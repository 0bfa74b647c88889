using static LoraSdk.Generators.Tests.DiagnosticAssert;
using static LoraSdk.Generators.Tests.GeneratorHarness;

namespace LoraSdk.Generators.Tests;

/// <summary>
/// Diagnostics for the patterns of real models (issue #10): direct weight use (LORA009), hierarchies (LORA010,
/// LORA004, LORA006), layer collections and optional layers (LORA006 and what it allows), skipped kinds (LORA011).
/// </summary>
public sealed class PatternDiagnosticTests
{
    private const string WithLayers = """
        [LoRA(4)]
        public sealed partial class Direct : nn.Module<Tensor, Tensor>
        {
            private readonly Linear query = nn.Linear(4, 4);
            private readonly Conv2d conv = nn.Conv2d(2, 2, 3);
            private readonly Embedding table = nn.Embedding(5, 4);
            private readonly ModuleList<Linear> experts = new(nn.Linear(4, 4), nn.Linear(4, 4));
            public Direct() : base("d") => RegisterComponents();
            public override Tensor forward(Tensor x) => query.forward(x);

        """;

    [Theory]
    [InlineData("public Tensor A(Tensor x) => nn.functional.linear(x, [|query.weight|]!, query.bias);", "linear")]
    [InlineData("public Tensor B(Tensor x) => x.matmul([|query.weight|]!.t());", "matmul")]
    [InlineData("public Tensor C(Tensor x) => x.matmul([|this.query.weight|]!.T.contiguous());", "matmul")]
    [InlineData("public Tensor D(Tensor x) => [|query.weight|]!.mm(x);", "mm")]
    [InlineData("public Tensor E(Tensor x) => nn.functional.conv2d(x, [|conv.weight|]!, conv.bias);", "conv2d")]
    [InlineData("public Tensor F(Tensor ids) => [|table.weight|]!.index_select(0, ids);", "index_select")]
    [InlineData("public Tensor G(Tensor ids) => [|table.weight|]![ids];", "indexing by a tensor")]
    [InlineData("public Tensor H(Tensor x) => nn.functional.linear(x, [|experts[1].weight|]!);", "linear")]
    public void LORA009_weight_computed_with_directly(string member, string operation)
    {
        var message = AssertSingle("LORA009", WithLayers + member + "\n}");
        var marked = MarkedSource.Parse(member);
        var target = marked.Text.Substring(marked.Span.Start, marked.Span.Length)[..^".weight".Length];
        Assert.Equal($"'{target}.weight' is used in '{operation}' directly, which skips the LoRA adapter of '{target}' (its update is in the weight only while merged); call '{target}.forward(x)' or '{target}.call(x)' instead", message);
    }

    [Theory]
    [InlineData("public double Norm() => query.weight!.norm().item<float>();")]
    [InlineData("public long Rows() => query.weight!.shape[0];")]
    [InlineData("public Tensor Mean() => query.weight!.abs().mean();")]
    [InlineData("public Tensor Row() => table.weight![0];")]
    [InlineData("public Tensor Copy() => query.weight!.detach().clone();")]
    public void Reading_a_weight_for_anything_else_is_allowed(string member) =>
        Assert.Empty(DiagnosticIds(WithLayers + member + "\n}"));

    [Fact]
    public void LORA010_class_level_LoRA_names_the_base_class_to_annotate()
    {
        var message = AssertSingle("LORA010", """
            public abstract class Base : nn.Module<Tensor, Tensor>
            {
                protected Linear? query;
                [NoLoRA] protected Linear? router;
                protected Base() : base("b") { }
            }
            [[|LoRA(4)|]]
            public sealed partial class Derived : Base
            {
                private readonly Linear own = nn.Linear(4, 4);
                public Derived() { query = nn.Linear(4, 4); router = nn.Linear(4, 1); RegisterComponents(); }
                public override Tensor forward(Tensor x) => own.forward(x);
            }
            """);
        Assert.Equal("'Derived' has a class-level [LoRA], but the layer 'query' it inherits from 'Base' is not adapted because 'Base' has no [LoRA]: put [LoRA] on 'Base' (declared partial) to adapt it, or [NoLoRA] on 'query' to keep it frozen", message);
    }

    [Fact]
    public void LORA004_targets_naming_an_inherited_layer_names_the_base_class()
    {
        var message = AssertSingle("LORA004", """
            public abstract class Base : nn.Module<Tensor, Tensor>
            {
                protected Linear query = nn.Linear(4, 4);
                protected Base() : base("b") { }
            }
            [LoRA(4, Targets = [[|"query"|]])]
            public sealed partial class Derived : Base
            {
                public Derived() => RegisterComponents();
                public override Tensor forward(Tensor x) => query.forward(x);
            }
            """);
        Assert.Equal("'query' cannot be a LoRA target of 'Derived': it is declared in the base class 'Base'; put [LoRA] on 'Base' (declared partial) to adapt it there", message);
    }

    private const string LoraBase = """
        [LoRA(4)]
        public abstract partial class Base : nn.Module<Tensor, Tensor>
        {
            protected Linear query = nn.Linear(4, 4);
            protected Base() : base("b") { }
        }

        """;

    [Fact]
    public void LoRA_base_and_derived_have_no_diagnostics_and_compile_without_warnings()
    {
        var source = LoraBase + """
            [LoRA(2)]
            public sealed partial class Derived : Base
            {
                private readonly Linear value = nn.Linear(4, 4);
                public Derived() => RegisterComponents();
                public override Tensor forward(Tensor x) => value.forward(query.forward(x)).add(query.call(x));
            }
            public sealed partial class FieldLevel : Base
            {
                [LoRA(3)] private readonly Linear extra = nn.Linear(4, 4);
                public FieldLevel() => RegisterComponents();
                public override Tensor forward(Tensor x) => extra.forward(query.forward(x));
            }
            """;
        Assert.Empty(DiagnosticIds(source));
        var (files, output) = Generate(Usings + source);
        Assert.Equal(["Base.LoRA.g.cs", "Derived.LoRA.g.cs", "FieldLevel.LoRA.g.cs"], files.Keys.Order());
        Assert.Empty(CompilerProblems(output));   // no CS0108 or any other warning in generated code
    }

    [Fact]
    public void A_derived_class_without_LoRA_cannot_call_an_inherited_target()
    {
        var message = AssertSingle("LORA006", LoraBase + """
            public sealed class Plain : Base
            {
                public Plain() => RegisterComponents();
                public override Tensor forward(Tensor x) => [|query|].forward(x);
            }
            """);
        Assert.StartsWith("'query' is a LoRA target: calling 'forward' outside its class would bypass its adapter", message);
    }

    private const string Experts = """
        [LoRA(4)]
        public sealed partial class Moe : nn.Module<Tensor, Tensor>
        {
            private readonly ModuleList<Linear> experts = new(nn.Linear(4, 4), nn.Linear(4, 4));
            private readonly ModuleDict<Linear> heads = new();
            public Moe() : base("m") { heads.Add("a", nn.Linear(4, 4)); RegisterComponents(); }
            public override Tensor forward(Tensor x)
            {
                var y = experts[0].forward(x).add(experts[1].call(x));
                foreach (var expert in experts) y = y.add(expert.forward(x));
                foreach (var (name, head) in heads) y = y.add(head.forward(x));
                return y.add(heads["a"].forward(x)).mul(experts.Count);
            }

        """;

    [Fact]
    public void Routed_collection_uses_have_no_diagnostics() => Assert.Equal([], DiagnosticIds(Experts + "}"));

    [Theory]
    [InlineData("public ModuleList<Linear> Expose() => [|experts|];", "experts", "returning it")]
    [InlineData("public Tensor Each(Tensor x) => Sum([|experts|], x); static Tensor Sum(IEnumerable<Linear> l, Tensor x) => l.First().forward(x);", "experts", "passing it as an argument")]
    [InlineData("public Linear First() => [|experts|][0];", "experts", "returning it")]
    [InlineData("public Tensor Stored(Tensor x) { var e = [|experts|][0]; return e.forward(x); }", "experts", "storing it in a variable")]
    [InlineData("public void Grow() => [|experts|].Add(nn.Linear(4, 4));", "experts", "changing it with 'Add' outside a constructor (a layer added later has no adapter)")]
    [InlineData("public object All() => [|heads|].values();", "heads", "calling 'values()', which hands out its layers,")]
    [InlineData("public Tensor Out(Tensor x) { foreach (var e in experts) return Run([|e|], x); return x; } static Tensor Run(Linear l, Tensor x) => l.forward(x);", "experts", "passing it as an argument")]
    public void LORA006_collection_use_that_cannot_be_routed(string member, string target, string reason)
    {
        var message = AssertSingle("LORA006", Experts + member + "\n}", "using System.Collections.Generic;\nusing System.Linq;\n");
        Assert.Equal($"'{target}' is a LoRA target: {reason} would bypass its adapter; only '{target}[i].forward(x)', '{target}[i].call(x)' and those calls on a foreach variable over '{target}' inside 'Moe' run the LoRA update", message);
    }

    [Fact]
    public void Optional_layers_null_checks_conditional_calls_and_formatting_are_allowed()
    {
        Assert.Equal([], DiagnosticIds("""
            [LoRA(4)]
            public sealed partial class Block : nn.Module<Tensor, Tensor>
            {
                private readonly Linear main = nn.Linear(4, 4);
                private readonly Linear? downsample;
                public Block(bool project) : base("b") { if (project) downsample = nn.Linear(4, 4); RegisterComponents(); }
                public override Tensor forward(Tensor x)
                {
                    var identity = downsample is null ? x : downsample.forward(x);
                    if (downsample != null && downsample is not null) identity = identity.add(downsample?.forward(x)!);
                    var viaCall = downsample?.call(x) ?? x;
                    return main.forward(x).add(identity).add(viaCall);
                }
                public override string ToString() => $"Block({main}, {downsample})" + main.ToString() + " " + main;
            }
            """));
    }

    [Fact]
    public void LORA011_class_level_LoRA_says_which_layers_it_skips()
    {
        var diagnostics = AnalyzerDiagnostics(Usings + """
            [LoRA(4)]
            public sealed partial class Attention : nn.Module<Tensor, Tensor>
            {
                private readonly Linear output = nn.Linear(4, 4);
                private readonly MultiheadAttention attention = nn.MultiheadAttention(4, 2);
                private readonly Sequential stack = nn.Sequential(nn.Linear(4, 4));
                private readonly LayerNorm norm = nn.LayerNorm(4);
                public Attention() : base("a") => RegisterComponents();
                public override Tensor forward(Tensor x) => norm.forward(output.forward(stack.forward(x)));
            }
            """);
        Assert.All(diagnostics, d => Assert.Equal(("LORA011", Microsoft.CodeAnalysis.DiagnosticSeverity.Info), (d.Id, d.Severity)));
        var messages = diagnostics.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, messages.Count);   // not the LayerNorm: PEFT does not adapt norms either
        Assert.StartsWith("The class-level [LoRA] of 'Attention' does not adapt 'attention': TorchSharp's MultiheadAttention computes with its own projection weights", messages[0]);
        Assert.StartsWith("The class-level [LoRA] of 'Attention' does not adapt 'stack': its layers run inside Sequential.forward", messages[1]);
    }

    [Fact]
    public void LORA004_explicitly_requested_MultiheadAttention_stays_an_error()
    {
        var message = AssertSingle("LORA004", """
            public sealed partial class Attention : nn.Module<Tensor, Tensor>
            {
                [[|LoRA(4)|]] private readonly MultiheadAttention attention = nn.MultiheadAttention(4, 2);
                public Attention() : base("a") => RegisterComponents();
                public override Tensor forward(Tensor x) => x;
            }
            """);
        Assert.StartsWith("'attention' cannot be a LoRA target of 'Attention': TorchSharp's MultiheadAttention computes with its own projection weights", message);
    }
}
