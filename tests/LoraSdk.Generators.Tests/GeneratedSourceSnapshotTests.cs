using Snapshooter;
using Snapshooter.Xunit;
using static LoraSdk.Generators.Tests.GeneratorHarness;

namespace LoraSdk.Generators.Tests;

/// <summary>
/// The generated file for each shape of [LoRA] class, as a snapshot (strict in CI). Each test also
/// compiles the program with its generated code: no errors, no warnings.
/// </summary>
public sealed class GeneratedSourceSnapshotTests
{
    [Fact]
    public void Class_level_attribute_adapts_every_linear_field()
    {
        MatchGenerated("Demo.Attention.LoRA.g.cs", """
            namespace Demo;

            [LoRA(rank: 8, Alpha = 16, Dropout = 0.05)]
            public sealed partial class Attention : nn.Module<Tensor, Tensor>
            {
                private readonly Linear query, key;

                public Attention(long dim) : base(nameof(Attention))
                {
                    query = nn.Linear(dim, dim);
                    key = nn.Linear(dim, dim);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => query.forward(x).add(key.call(x)).add(query.forward(x));
            }
            """);
    }

    [Fact]
    public void Field_level_attribute_overrides_the_class_defaults()
    {
        MatchGenerated("Demo.Projection.LoRA.g.cs", """
            namespace Demo;

            [LoRA(rank: 8, Alpha = 16, UseRsLoRA = true)]
            public sealed partial class Projection : nn.Module<Tensor, Tensor>
            {
                private readonly Linear input;
                [LoRA(rank: 2, Dropout = 0.1, Init = LoraInit.Gaussian)] private readonly Linear output;

                public Projection() : base(nameof(Projection))
                {
                    input = nn.Linear(4, 4);
                    output = nn.Linear(4, 4);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => output.forward(input.forward(x));
            }
            """);
    }

    [Fact]
    public void Base_resolves_like_the_other_options_under_a_component_name()
    {
        MatchGenerated("Demo.QuantizedAttention.LoRA.g.cs", """
            namespace Demo;

            [LoRA(rank: 4, Base = LoraBase.Nf4)]
            public sealed partial class QuantizedAttention : nn.Module<Tensor, Tensor>
            {
                [TorchSharp.Utils.ComponentName(Name = "k_proj")]
                [LoRA(rank: 2, Base = LoraBase.Int8)] private readonly Linear key;
                private readonly Linear value;

                public QuantizedAttention() : base(nameof(QuantizedAttention))
                {
                    key = nn.Linear(4, 4);
                    value = nn.Linear(4, 4);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => value.forward(key.forward(x));
            }
            """);
    }

    [Fact]
    public void UseDoRA_resolves_field_over_class()
    {
        MatchGenerated("Demo.DoraAttention.LoRA.g.cs", """
            namespace Demo;

            [LoRA(rank: 8, UseDoRA = true)]
            public sealed partial class DoraAttention : nn.Module<Tensor, Tensor>
            {
                [LoRA(rank: 4, UseDoRA = false)] private readonly Linear key;
                private readonly Linear value;

                public DoraAttention() : base(nameof(DoraAttention))
                {
                    key = nn.Linear(4, 4);
                    value = nn.Linear(4, 4);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => value.forward(key.forward(x));
            }
            """);
    }

    [Fact]
    public void Targets_restricts_the_adapted_fields()
    {
        MatchGenerated("Demo.Qkv.LoRA.g.cs", """
            namespace Demo;

            [LoRA(4, Targets = new[] { "query", "value" })]
            public sealed partial class Qkv : nn.Module<Tensor, Tensor>
            {
                private readonly Linear query = nn.Linear(4, 4), key = nn.Linear(4, 4), value = nn.Linear(4, 4);

                public Qkv() : base(nameof(Qkv)) => RegisterComponents();

                public override Tensor forward(Tensor x) => query.forward(x) + key.forward(x) + value.forward(x);
            }
            """);
    }

    [Fact]
    public void NoLoRA_field_is_neither_adapted_nor_intercepted()
    {
        MatchGenerated("Demo.Gated.LoRA.g.cs", """
            namespace Demo;

            [LoRA(rank: 4)]
            public sealed partial class Gated : nn.Module<Tensor, Tensor>
            {
                private readonly Linear body = nn.Linear(4, 4);
                [NoLoRA] private readonly Linear router = nn.Linear(4, 1);

                public Gated() : base(nameof(Gated)) => RegisterComponents();

                public override Tensor forward(Tensor x) => body.forward(x).mul(router.forward(x).sigmoid());
            }
            """);
    }

    [Fact]
    public void Conv2d_target_uses_the_adapter_low_rank_path()
    {
        MatchGenerated("Demo.Stem.LoRA.g.cs", """
            namespace Demo;

            [LoRA(rank: 3, Alpha = 6)]
            public sealed partial class Stem : nn.Module<Tensor, Tensor>
            {
                private readonly Conv2d conv = nn.Conv2d(3, 8, 3, padding: 1);

                public Stem() : base(nameof(Stem)) => RegisterComponents();

                public override Tensor forward(Tensor x) => conv.forward(x);
            }
            """);
    }

    [Fact]
    public void Embedding_target_through_call()
    {
        MatchGenerated("Demo.Tokens.LoRA.g.cs", """
            namespace Demo;

            [LoRA(rank: 4)]
            public sealed partial class Tokens : nn.Module<Tensor, Tensor>
            {
                private readonly Embedding table = nn.Embedding(100, 16);

                public Tokens() : base(nameof(Tokens)) => RegisterComponents();

                public override Tensor forward(Tensor ids) => table.call(ids);
            }
            """);
    }

    [Fact]
    public void Nested_class_repeats_its_containing_types()
    {
        MatchGenerated("Demo.Model.Block.LoRA.g.cs", """
            namespace Demo;

            public static partial class Model
            {
                [LoRA(rank: 2)]
                public sealed partial class Block : nn.Module<Tensor, Tensor>
                {
                    private readonly Linear mlp = nn.Linear(4, 4);

                    public Block() : base(nameof(Block)) => RegisterComponents();

                    public override Tensor forward(Tensor x) => mlp.forward(x);
                }
            }
            """);
    }

    [Fact]
    public void Generic_class_keeps_its_type_parameters()
    {
        MatchGenerated("Demo.Head`1.LoRA.g.cs", """
            namespace Demo;

            [LoRA(rank: 2)]
            public sealed partial class Head<TLabel> : nn.Module<Tensor, Tensor> where TLabel : notnull
            {
                private readonly Linear classifier = nn.Linear(4, 3);

                public Head() : base("Head") => RegisterComponents();

                public override Tensor forward(Tensor x) => classifier.forward(x);
            }
            """);
    }

    [Fact]
    public void Field_level_attributes_alone_generate_the_class_once()
    {
        MatchGenerated("Demo.Pair.LoRA.g.cs", """
            namespace Demo;

            public sealed partial class Pair : nn.Module<Tensor, Tensor>
            {
                [LoRA(rank: 2)] private readonly Linear left = nn.Linear(4, 4);
                [LoRA(rank: 6, Alpha = 3)] private readonly Linear right = nn.Linear(4, 4);
                private readonly Linear plain = nn.Linear(4, 4);

                public Pair() : base(nameof(Pair)) => RegisterComponents();

                public override Tensor forward(Tensor x) => left.forward(x) + right.forward(x) + plain.forward(x);
            }
            """);
    }

    [Fact]
    public void Layer_collections_adapt_each_element_and_route_indexed_and_foreach_calls()
    {
        MatchGenerated("Demo.Experts.LoRA.g.cs", """
            namespace Demo;

            [LoRA(rank: 2)]
            public sealed partial class Experts : nn.Module<Tensor, Tensor>
            {
                private readonly ModuleList<Linear> experts = new(nn.Linear(4, 4), nn.Linear(4, 4));
                private readonly ModuleDict<Linear> heads = new();

                public Experts() : base(nameof(Experts)) { heads.Add("left", nn.Linear(4, 4)); RegisterComponents(); }

                public override Tensor forward(Tensor x)
                {
                    var y = experts[0].forward(x);
                    foreach (var expert in experts) y = y.add(expert.call(x));
                    foreach (var (_, head) in heads) y = y.add(head.forward(x));
                    return y.add(heads["left"].forward(x));
                }
            }
            """);
    }

    [Fact]
    public void Optional_target_is_attached_when_present_and_its_conditional_call_routed()
    {
        MatchGenerated("Demo.Residual.LoRA.g.cs", """
            namespace Demo;

            [LoRA(rank: 2)]
            public sealed partial class Residual : nn.Module<Tensor, Tensor>
            {
                private readonly Linear body = nn.Linear(4, 4);
                private readonly Linear? downsample;

                public Residual(bool project) : base(nameof(Residual))
                {
                    if (project) downsample = nn.Linear(4, 4);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => body.forward(x).add(downsample?.forward(x) ?? x);
            }
            """);
    }

    [Fact]
    public void Derived_LoRA_class_chains_to_its_LoRA_base_and_routes_inherited_targets()
    {
        var source = """
            namespace Demo;

            [LoRA(rank: 4)]
            public abstract partial class Encoder : nn.Module<Tensor, Tensor>
            {
                protected Linear query = nn.Linear(4, 4);

                protected Encoder() : base(nameof(Encoder)) { }
            }

            [LoRA(rank: 2)]
            public sealed partial class Tagger : Encoder
            {
                private readonly Linear head = nn.Linear(4, 3);

                public Tagger() => RegisterComponents();

                public override Tensor forward(Tensor x) => head.forward(query.forward(x));
            }
            """;
        var (files, output) = Generate(Usings + source);
        Assert.Empty(CompilerProblems(output));
        Snapshot.Match(files["Demo.Encoder.LoRA.g.cs"], SnapshotNameExtension.Create("Encoder"));
        Snapshot.Match(files["Demo.Tagger.LoRA.g.cs"], SnapshotNameExtension.Create("Tagger"));
    }

    [Fact]
    public void Conv1d_target_and_skipped_layers_in_the_summary()
    {
        MatchGenerated("Demo.Audio.LoRA.g.cs", """
            namespace Demo;

            [LoRA(rank: 2)]
            public sealed partial class Audio : nn.Module<Tensor, Tensor>
            {
                private readonly Conv1d conv = nn.Conv1d(2, 4, 3, padding: 1);
                private readonly MultiheadAttention attention = nn.MultiheadAttention(4, 2);
                private readonly ModuleList<LayerNorm> norms = new(nn.LayerNorm(4));

                public Audio() : base(nameof(Audio)) => RegisterComponents();

                public override Tensor forward(Tensor x) => conv.forward(x);
            }
            """);
    }

    private static void MatchGenerated(string hintName, string source)
    {
        var (files, output) = Generate(Usings + source);
        Assert.Equal([hintName], files.Keys);
        Assert.Empty(CompilerProblems(output));
        Snapshot.Match(files[hintName]);
    }
}
