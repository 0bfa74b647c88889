using LoraSdk.Tests.Adapters;
using TorchSharp;
using static TorchSharp.torch;
using static LoraSdk.Tests.Adapters.AdapterTestKit;

namespace LoraSdk.Tests.WholeModel;

/// <summary>Named adapters on one base: add, switch, scope, delete, train only the active one, merge per adapter.</summary>
public sealed class MultiAdapterTests
{
    /// <summary>TinyNet (Embedding, Linear, Conv2d targets) with random default factors and a random adapter "b" of other ranks.</summary>
    private static TinyNet TwoAdapters()
    {
        manual_seed(3);
        var model = new TinyNet();
        RandomizeLora(model, seed: 1);
        model.AddAdapter("b", new LoraOptions(rank: 2, alpha: 3));
        using (model.UseAdapter("b")) RandomizeLora(model, seed: 2);
        model.eval();
        return model;
    }

    /// <summary>The same base weights with "b"'s options and factors as its only (default) adapter.</summary>
    private static TinyNet OnlyB(TinyNet source)
    {
        var copy = new TinyNet(_ => new LoraOptions(rank: 2, alpha: 3));
        var state = source.state_dict();
        using (no_grad())
        {
            foreach (var (name, p) in copy.named_parameters().Where(p => !p.name.Contains("_lora.", StringComparison.Ordinal)))
                p.copy_(state[name]);
            using var scope = source.UseAdapter("b");
            var b = source.LoraParameters().ToDictionary(p => p.Name, p => p.Parameter);
            foreach (var (name, p) in copy.LoraParameters()) p.copy_(b[name]);
        }
        copy.eval();
        return copy;
    }

    [Fact]
    public void An_added_adapter_starts_as_the_base_model_and_is_not_active()
    {
        manual_seed(3);
        using var model = new TinyNet();
        RandomizeLora(model, seed: 1);
        using var before = Output(model);
        model.AddAdapter("b", new LoraOptions(rank: 2, alpha: 3));

        Assert.Equal(["default", "b"], model.AdapterNames());
        Assert.Equal("default", model.ActiveAdapter());
        using var stillDefault = Output(model);
        Assert.True(Same(before, stillDefault));
        using (model.UseAdapter("b"))
        {
            using var b = Output(model);
            using var disabled = model.DisableLoRA();
            using var baseline = Output(model);
            Assert.True(Same(baseline, b), "a new adapter (B = 0) must compute the base model");
        }
        Assert.Equal("default", model.ActiveAdapter());
    }

    [Fact]
    public void The_active_adapter_computes_what_a_model_built_with_it_computes()
    {
        using var model = TwoAdapters();
        using var only = OnlyB(model);
        model.SetActiveAdapter("b");
        AssertSameOutput(only, model);
        Assert.All(model.ActiveLoraAdapters(), a => Assert.Equal("b", a.Adapter.AdapterName));
        Assert.All(model.ActiveLoraAdapters(), a => Assert.Equal(2, a.Adapter.Rank));
    }

    [Fact]
    public void Only_the_active_adapter_is_trainable_and_gets_gradients()
    {
        using var model = TwoAdapters();
        var defaults = model.LoraParameters().Select(p => p.Parameter).ToList();
        model.SetActiveAdapter("b");
        Assert.All(defaults, p => Assert.False(p.requires_grad));
        model.FreezeBase();
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.parameter.Handle).ToHashSet();
        var b = model.LoraParameters().Select(p => p.Parameter.Handle).ToHashSet();
        Assert.Equal(b.Order(), trainable.Order());

        model.train();
        using var ids = TinyNet.SampleIds();
        using var loss = model.forward(ids).square().sum();
        loss.backward();
        Assert.All(model.LoraParameters(), p => Assert.NotNull(p.Parameter.grad));
        Assert.All(defaults, p => Assert.Null(p.grad));
    }

    [Fact]
    public void Merging_the_active_adapter_keeps_outputs_and_switching_is_refused_until_unmerged()
    {
        using var model = TwoAdapters();
        model.to(float64);
        model.SetActiveAdapter("b");
        using var unmerged = Output(model);
        var weights = Snapshot(model);

        model.MergeLoRA(safe: true);
        using var merged = Output(model);
        Assert.True((merged - unmerged).abs().max().item<double>() < 1e-12);
        var error = Assert.Throws<InvalidOperationException>(() => model.SetActiveAdapter("default"));
        Assert.Contains("merged", error.Message);
        Assert.Throws<InvalidOperationException>(() => model.AddAdapter("c", new LoraOptions(2, 2)));

        model.UnmergeLoRA();
        foreach (var (name, before) in weights)
            Assert.True((model.state_dict()[name] - before).abs().max().item<double>() < 1e-12, name);
        model.SetActiveAdapter("default");
    }

    [Fact]
    public void Deleting_frees_the_adapter_and_refuses_the_default_and_the_active_one()
    {
        using var model = TwoAdapters();
        long before = model.parameters().Count();
        Assert.Throws<InvalidOperationException>(() => model.DeleteAdapter("default"));
        using (model.UseAdapter("b"))
            Assert.Contains("active", Assert.Throws<InvalidOperationException>(() => model.DeleteAdapter("b")).Message);
        Assert.Contains("has no adapter named 'zz'", Assert.Throws<InvalidOperationException>(() => model.SetActiveAdapter("zz")).Message);

        model.DeleteAdapter("b");
        Assert.Equal(["default"], model.AdapterNames());
        Assert.Equal(before - 2 * TinyNet.TargetPaths.Length, model.parameters().Count());
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains(".b.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("a.b")]
    [InlineData("x/y")]
    [InlineData("__base__")]
    [InlineData("default")]
    public void Bad_or_taken_names_are_refused(string name)
    {
        using var model = new TinyNet();
        Assert.ThrowsAny<Exception>(() => model.AddAdapter(name, new LoraOptions(2, 2)));
        Assert.Equal(["default"], model.AdapterNames());
    }

    [Fact]
    public void Disabling_turns_every_adapter_off_even_after_a_switch()
    {
        using var model = TwoAdapters();
        var off = model.DisableLoRA();
        using var baseline = Output(model);
        using (model.UseAdapter("b"))
        {
            using var b = Output(model);
            Assert.True(Same(baseline, b));
        }
        off.Dispose();
        using var on = Output(model);
        Assert.False(Same(baseline, on));
    }

    [Fact]
    public void Each_named_adapter_costs_exactly_its_own_bytes()
    {
        using var model = new TinyNet();
        long Bytes() => model.parameters().Sum(p => p.numel() * p.element_size());
        long baseAndDefault = Bytes();
        long perAdapter = AdapterBytes(model); // the default adapter's factors: same options as the added ones
        for (int n = 1; n <= 4; n++)
        {
            model.AddAdapter($"t{n}", new LoraOptions(rank: 4, alpha: 8));
            Assert.Equal(baseAndDefault + n * perAdapter, Bytes());
        }
    }

    private static long AdapterBytes(nn.Module model) =>
        model.LoraParameters().Sum(p => p.Parameter.numel() * p.Parameter.element_size());
}
