using static LoraSdk.Generators.Tests.DiagnosticAssert;
using static LoraSdk.Generators.Tests.GeneratorHarness;

namespace LoraSdk.Generators.Tests;

/// <summary>Each LORA diagnostic fires once, at the marked expression, with a message that says what to do.</summary>
public sealed class DiagnosticTests
{
    private const string Layer = """
            private readonly Linear query = nn.Linear(4, 4);
            public override Tensor forward(Tensor x) => query.forward(x);
        """;

    /// <summary>A [LoRA] class with one target, left open for one more member.</summary>
    private const string Leaky = """
            [LoRA(4)]
            public sealed partial class Leaky : nn.Module<Tensor, Tensor>
            {
                internal Linear query;
                public Leaky() : base("l") { query = nn.Linear(4, 4); RegisterComponents(); }
                public override Tensor forward(Tensor x) => query.forward(x);

            """;

    [Fact]
    public void Valid_class_and_its_generated_code_have_no_diagnostics()
    {
        var diagnostics = AnalyzerDiagnostics(Usings + """
            [LoRA(rank: 8, Alpha = 16, Dropout = 0.05)]
            public sealed partial class SelfAttention : nn.Module<Tensor, Tensor>
            {
                private readonly Linear query, key;
                [LoRA(rank: 4)] private readonly Linear output;
                [NoLoRA] private readonly Linear router;
                public SelfAttention(long dim) : base(nameof(SelfAttention))
                {
                    query = nn.Linear(dim, dim); key = nn.Linear(dim, dim);
                    output = nn.Linear(dim, dim); router = nn.Linear(dim, 1);
                    RegisterComponents();
                }
                public override Tensor forward(Tensor x)
                {
                    var scale = query.weight!.shape[0];
                    return output.call(query.forward(x).add(key.call(x))).mul(router.forward(x)).div(scale);
                }
                public string Describe() => nameof(query);
            }
            """);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void LORA001_class_not_partial()
    {
        var message = AssertSingle("LORA001", """
            [LoRA(4)]
            public sealed class [|Plain|] : nn.Module<Tensor, Tensor>
            {
                public Plain() : base("p") { }
            """ + Layer + "}");
        Assert.Equal("'Plain' must be declared partial so that LoraSdk can generate its LoRA code", message);
    }

    [Fact]
    public void LORA001_containing_class_not_partial()
    {
        var message = AssertSingle("LORA001", """
            public static class [|Outer|]
            {
                [LoRA(4)]
                public sealed partial class Inner : nn.Module<Tensor, Tensor>
                {
                    public Inner() : base("i") { }
            """ + Layer + "}}");
        Assert.Equal("'Outer' must be declared partial so that LoraSdk can generate its LoRA code (it contains the [LoRA] class 'Inner')", message);
    }

    [Fact]
    public void LORA002_class_not_a_module()
    {
        var message = AssertSingle("LORA002", """
            [[|LoRA(4)|]]
            public sealed partial class NotAModule
            {
                private readonly Linear query = nn.Linear(4, 4);
            }
            """);
        Assert.Equal("'NotAModule' has [LoRA] but does not derive from TorchSharp's nn.Module", message);
    }

    [Fact]
    public void LORA003_rank_not_positive()
    {
        var message = AssertSingle("LORA003", """
            [LoRA([|rank: 0|])]
            public sealed partial class Zero : nn.Module<Tensor, Tensor>
            {
                public Zero() : base("z") { }
            """ + Layer + "}");
        Assert.Equal("LoRA rank must be greater than 0, but is 0", message);
    }

    [Fact]
    public void LORA004_targets_names_a_missing_field()
    {
        var message = AssertSingle("LORA004", """
            [LoRA(4, Targets = new[] { "query", [|"missing"|] })]
            public sealed partial class Named : nn.Module<Tensor, Tensor>
            {
                public Named() : base("n") { }
            """ + Layer + "}");
        Assert.Equal("'missing' cannot be a LoRA target of 'Named': it has no field or auto-property with that name", message);
    }

    [Fact]
    public void LORA004_targets_names_an_unsupported_layer()
    {
        var message = AssertSingle("LORA004", """
            [LoRA(4, Targets = ["query", [|"norm"|]])]
            public sealed partial class Normed : nn.Module<Tensor, Tensor>
            {
                private readonly LayerNorm norm = nn.LayerNorm(4);
                public Normed() : base("n") { }
            """ + Layer + "}");
        Assert.Equal("'norm' cannot be a LoRA target of 'Normed': its type is LayerNorm; LoRA supports Linear, Conv1d, Conv2d and Embedding (and ModuleList<T>/ModuleDict<T> of them)", message);
    }

    [Fact]
    public void LORA004_field_attribute_on_an_unsupported_layer()
    {
        var message = AssertSingle("LORA004", """
            public sealed partial class FieldLevel : nn.Module<Tensor, Tensor>
            {
                [[|LoRA(2)|]] private readonly Dropout drop = nn.Dropout(0.1);
                public FieldLevel() : base("f") { }
                public override Tensor forward(Tensor x) => drop.forward(x);
            }
            """);
        Assert.StartsWith("'drop' cannot be a LoRA target of 'FieldLevel': its type is Dropout", message);
    }

    [Fact]
    public void LORA005_alpha_not_positive()
    {
        var message = AssertSingle("LORA005", """
            [LoRA(4, [|Alpha = 0|])]
            public sealed partial class NoAlpha : nn.Module<Tensor, Tensor>
            {
                public NoAlpha() : base("a") { }
            """ + Layer + "}");
        Assert.Equal("LoRA alpha must be a finite number greater than 0, but is 0", message);
    }

    [Fact]
    public void LORA005_dropout_out_of_range()
    {
        var message = AssertSingle("LORA005", """
            [LoRA(4)]
            public sealed partial class Dropped : nn.Module<Tensor, Tensor>
            {
                [LoRA(2, [|Dropout = 1.0|])] private readonly Linear other = nn.Linear(4, 4);
                public Dropped() : base("d") { }
            """ + Layer + "}");
        Assert.Equal("LoRA dropout must be in [0, 1), but is 1", message);
    }

    [Theory]
    [InlineData("public Linear Expose() => [|query|];", "returning it")]
    [InlineData("public Tensor Pass(Tensor x) => Run([|query|], x); static Tensor Run(Linear l, Tensor x) => l.forward(x);", "passing it as an argument")]
    [InlineData("public Tensor Widened(Tensor x) { nn.Module<Tensor, Tensor> m = [|query|]; return m.forward(x); }", "storing it in a variable")]
    [InlineData("public object Boxed() => (object)[|query|];", "converting it to 'object'")]
    [InlineData("public Tensor Local(Tensor x) { var l = [|query|]; return l.forward(x); }", "storing it in a variable")]
    [InlineData("public void Replace() => [|query|] = nn.Linear(4, 4);", "assigning it outside a constructor of its class")]
    [InlineData("public Sequential Stack() => nn.Sequential([|query|]);", "putting it in a collection")]
    [InlineData("public Func<Tensor, Tensor> Delegate() => [|query|].forward;", "taking its method as a delegate")]
    public void LORA006_unroutable_use_inside_the_class(string member, string reason)
    {
        var message = AssertSingle("LORA006", Leaky + member + "\n}");
        Assert.Equal($"'query' is a LoRA target: {reason} would bypass its adapter; only 'query.forward(x)' and 'query.call(x)' inside 'Leaky' run the LoRA update", message);
    }

    [Theory]
    [InlineData("public Tensor Local(Tensor x) { Func<Tensor, Tensor> f = [|query|].forward; return f(x); }")]
    [InlineData("public Tensor Inferred(Tensor x) { var f = [|query|].forward; return f(x); }")]
    [InlineData("public Tensor ThroughCall(Tensor x) { Func<Tensor, Tensor> f = [|query|].call; return f(x); }")]
    [InlineData("public Tensor Cast(Tensor x) => ((Func<Tensor, Tensor>)[|this.query|].forward)(x);")]
    [InlineData("public Tensor Argument(Tensor x) => Apply([|query|].forward, x); static Tensor Apply(Func<Tensor, Tensor> f, Tensor x) => f(x);")]
    [InlineData("private Func<Tensor, Tensor>? stored; public void Store() => stored = [|query|].forward;")]
    public void LORA006_method_group_of_a_target_taken_as_a_delegate(string member)
    {
        // With System imported, Func<Tensor, Tensor> binds: the method group becomes a real delegate creation.
        var message = AssertSingle("LORA006", Leaky + member + "\n}", "using System;\n");
        Assert.StartsWith("'query' is a LoRA target: taking its method as a delegate would bypass its adapter", message);
    }

    [Fact]
    public void LORA006_call_from_outside_the_class()
    {
        var message = AssertSingle("LORA006", """
            [LoRA(4)]
            public sealed partial class Inner : nn.Module<Tensor, Tensor>
            {
                internal readonly Linear query = nn.Linear(4, 4);
                public Inner() : base("i") => RegisterComponents();
                public override Tensor forward(Tensor x) => query.forward(x);
            }
            public sealed class Outside
            {
                public Tensor Run(Inner inner, Tensor x) => [|inner.query|].forward(x);
            }
            """);
        Assert.StartsWith("'query' is a LoRA target: calling 'forward' outside its class would bypass its adapter", message);
    }

    [Fact]
    public void LORA007_class_already_overrides_RegisterComponents()
    {
        var message = AssertSingle("LORA007", """
            [LoRA(4)]
            public sealed partial class Custom : nn.Module<Tensor, Tensor>
            {
                public Custom() : base("c") => RegisterComponents();
                protected override void [|RegisterComponents|]() => base.RegisterComponents();
            """ + Layer + "}");
        Assert.StartsWith("'Custom' already declares 'RegisterComponents', which LoraSdk generates for [LoRA] classes; remove the override", message);
    }

    [Fact]
    public void LORA007_class_already_declares_Merge()
    {
        var message = AssertSingle("LORA007", """
            [LoRA(4)]
            public sealed partial class Merging : nn.Module<Tensor, Tensor>
            {
                public Merging() : base("m") => RegisterComponents();
                public void [|Merge|]() { }
            """ + Layer + "}");
        Assert.Equal("'Merging' already declares 'Merge', which LoraSdk generates for [LoRA] classes; rename or remove it", message);
    }

    [Fact]
    public void LORA008_class_with_nothing_to_adapt_is_a_warning()
    {
        var message = AssertSingle("LORA008", """
            [[|LoRA(4)|]]
            public sealed partial class Empty : nn.Module<Tensor, Tensor>
            {
                [NoLoRA] private readonly Linear only = nn.Linear(4, 4);
                public Empty() : base("e") => RegisterComponents();
                public override Tensor forward(Tensor x) => only.forward(x);
            }
            """);
        Assert.Equal("'Empty' has [LoRA] but no Linear, Conv1d, Conv2d or Embedding field or auto-property (or ModuleList/ModuleDict of them) to adapt, so it gets no LoRA code", message);
    }
}
