using LoraSdk.Generated.Tests.Models;
using TorchSharp;
using TorchSharp.Modules;
using static LoraSdk.Generated.Tests.TestTensors;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests;

/// <summary>A <see cref="LoraOptionsOverride"/> scope changes the adapters a [LoRA] class attaches while it is built.</summary>
public sealed class OptionsOverrideTests
{
    [Fact]
    public void Inside_a_scope_the_adapters_take_the_overridden_rank_and_alpha()
    {
        manual_seed(11);
        Mlp model;
        using (LoraOptionsOverride.Apply(new LoraOptionsOverride { Rank = 16, Alpha = 48 }))
            model = new Mlp(6, 10, 4);
        using var _ = model;

        var adapters = Linears(model);
        Assert.Equal([16L, 6L], adapters["up"].LoraA.shape);
        Assert.Equal([10L, 16L], adapters["up"].LoraB.shape);
        Assert.Equal([16L, 10L], adapters["down"].LoraA.shape);
        Assert.Equal([4L, 16L], adapters["down"].LoraB.shape);
        Assert.All(adapters.Values, a => Assert.Equal(new LoraOptions(16, 48), a.Options));
        // The static metadata stays the compile-time declaration.
        Assert.All(Mlp.LoraTargets, t => Assert.Equal(new LoraOptions(4, 8), t.Options));

        // Both interceptor paths (up.forward, down.call) use the effective scaling 48 / 16 = 3, not the declared 2.
        RandomizeLora(model);
        using var x = randn(5, 3, 6);
        using var actual = model.call(x);
        using var expected = Reference(x, adapters, scaling: 3.0);
        Assert.True(RelativeError(actual, expected) < 1e-5, $"relative error {RelativeError(actual, expected)}");
    }

    [Fact]
    public void Rank_alone_keeps_the_declared_alpha_and_outside_a_scope_the_attribute_rules()
    {
        Mlp overridden;
        using (LoraOptionsOverride.Apply(new LoraOptionsOverride { Rank = 16 }))
            overridden = new Mlp(6, 10, 4);
        using var plain = new Mlp(6, 10, 4);
        using var _ = overridden;

        Assert.All(Linears(overridden).Values, a => Assert.Equal(new LoraOptions(16, 8), a.Options));
        Assert.Equal(0.5, Linears(overridden)["up"].Scaling);
        Assert.All(Linears(plain).Values, a => Assert.Equal(new LoraOptions(4, 8), a.Options));
        Assert.Equal([4L, 6L], Linears(plain)["up"].LoraA.shape);
        Assert.Null(LoraOptionsOverride.Current);
    }

    [Fact]
    public void Nested_scopes_compose_and_the_inner_one_wins()
    {
        using (LoraOptionsOverride.Apply(new LoraOptionsOverride { Rank = 16, Alpha = 32 }))
        {
            using (LoraOptionsOverride.Apply(new LoraOptionsOverride { Alpha = 64, Dropout = 0.25 }))
            {
                using var inner = new Mlp(6, 10, 4);
                Assert.All(Linears(inner).Values, a => Assert.Equal(new LoraOptions(16, 64, 0.25), a.Options));
            }
            using var outer = new Mlp(6, 10, 4);
            Assert.All(Linears(outer).Values, a => Assert.Equal(new LoraOptions(16, 32), a.Options));
        }
        Assert.Null(LoraOptionsOverride.Current);
    }

    [Theory]
    [InlineData(nameof(LoraOptionsOverride.Rank), "0")]
    [InlineData(nameof(LoraOptionsOverride.Alpha), "-1")]
    [InlineData(nameof(LoraOptionsOverride.Alpha), "NaN")]
    [InlineData(nameof(LoraOptionsOverride.Dropout), "1")]
    [InlineData(nameof(LoraOptionsOverride.Init), "7")]
    public void An_invalid_value_is_refused_naming_the_option_and_the_value(string option, string value)
    {
        var overrides = option switch
        {
            nameof(LoraOptionsOverride.Rank) => new LoraOptionsOverride { Rank = int.Parse(value) },
            nameof(LoraOptionsOverride.Alpha) => new LoraOptionsOverride { Alpha = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            nameof(LoraOptionsOverride.Dropout) => new LoraOptionsOverride { Dropout = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            _ => new LoraOptionsOverride { Init = (LoraInit)int.Parse(value) },
        };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LoraOptionsOverride.Apply(overrides));
        Assert.Equal(option, error.ParamName);
        Assert.Contains($"{option} = {value} is invalid", error.Message);
        Assert.Null(LoraOptionsOverride.Current);
    }

    [Fact]
    public void An_overridden_dropout_reaches_the_generated_linear_path()
    {
        manual_seed(12);
        Mlp model;
        using (LoraOptionsOverride.Apply(new LoraOptionsOverride { Dropout = 0.5 }))
            model = new Mlp(6, 10, 4);
        using var _ = model;
        RandomizeLora(model);
        using var x = randn(64, 6);

        model.eval();
        using var first = model.call(x);
        using var second = model.call(x);
        Assert.Equal(Values(first), Values(second));

        model.train(); // the declared dropout is 0: only the override can make training outputs random
        using var trainA = model.call(x);
        using var trainB = model.call(x);
        Assert.True(RelativeError(trainA, trainB) > 1e-3);
    }

    [Fact]
    public void A_forward_hook_that_keeps_and_returns_its_output_sees_that_tensor_unchanged()
    {
        manual_seed(13);
        using var model = new Mlp(6, 10, 4);
        RandomizeLora(model);
        var down = (Linear)model.named_children().Single(c => c.name == "down").module;
        Tensor? stored = null;
        double[]? storedValues = null;
        var hook = down.register_forward_hook((_, _, output) => { stored = output; storedValues = Values(output); return output; });

        using var x = randn(5, 6);
        using var actual = model.call(x);
        hook.remove();

        Assert.NotNull(stored);
        Assert.Equal(storedValues, Values(stored!)); // the update was not added into the hook's tensor
        using var expected = Reference(x, Linears(model), scaling: 2.0);
        Assert.True(RelativeError(actual, expected) < 1e-5, $"relative error {RelativeError(actual, expected)}");
    }

    [Fact]
    public void Targets_leaves_the_other_targets_plain_and_their_intercepted_calls_run_the_layer()
    {
        manual_seed(5);
        Mlp model;
        using (LoraOptionsOverride.Apply(new LoraOptionsOverride { Targets = new HashSet<string> { "down" } }))
            model = new Mlp(6, 10, 4);
        using var _ = model;

        var adapters = Linears(model);
        Assert.Equal(["down"], adapters.Keys);
        Assert.Equal(["down"], ((ILoraLayer)model).ModuleAdapters.Select(a => a.TargetName));
        Assert.DoesNotContain(model.named_modules(), m => m.name == "up_lora");
        Assert.All(model.named_parameters(), p => Assert.Equal(p.name.Contains("_lora."), p.parameter.requires_grad));

        // up.forward(x) is intercepted: with no adapter it must run the plain layer, not throw.
        RandomizeLora(model);
        var up = (Linear)model.named_children().Single(c => c.name == "up").module;
        using var x = randn(5, 3, 6);
        using var actual = model.call(x);
        using var x64 = x.to(float64);
        using var hidden = nn.functional.linear(x64, up.weight!.to(float64), up.bias!.to(float64)).relu();
        using var expected = LinearReference(hidden, adapters["down"], adapters["down"].Scaling);
        Assert.True(RelativeError(actual, expected) < 1e-5, $"relative error {RelativeError(actual, expected)}");
        model.MergeLoRA();
        Assert.True(((ILoraLayer)model).IsMerged);
    }

    private static Dictionary<string, LinearLoraAdapter> Linears(nn.Module model) =>
        model.ActiveLoraAdapters().ToDictionary(a => a.Path, a => (LinearLoraAdapter)a.Adapter);

    /// <summary>down(relu(up(x))) with scaling·B·A added to each, in float64.</summary>
    private static Tensor Reference(Tensor x, Dictionary<string, LinearLoraAdapter> adapters, double scaling)
    {
        using var x64 = x.to(float64);
        using var hidden = LinearReference(x64, adapters["up"], scaling);
        using var activated = hidden.relu();
        return LinearReference(activated, adapters["down"], scaling);
    }
}
