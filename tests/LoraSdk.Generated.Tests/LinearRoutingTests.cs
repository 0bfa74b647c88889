using LoraSdk.Generated.Tests.Models;
using TorchSharp;
using TorchSharp.Modules;
using static LoraSdk.Generated.Tests.TestTensors;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests;

/// <summary>The forward path of generated Linear targets, checked against float64 formulas.</summary>
public sealed class LinearRoutingTests
{
    [Fact]
    public void At_initialisation_the_adapted_model_equals_the_base_model()
    {
        manual_seed(1);
        using var model = new Mlp(6, 10, 4);
        using var x = randn(5, 3, 6);
        using var adapted = model.call(x);
        using (model.DisableLoRA())
        {
            using var baseline = model.call(x);
            Assert.Equal(Values(baseline), Values(adapted));
        }
    }

    [Fact]
    public void Forward_and_call_sites_both_add_scaling_B_A_x_to_the_base_output()
    {
        manual_seed(2);
        using var model = new Mlp(6, 10, 4);
        RandomizeLora(model);
        using var x = randn(5, 3, 6);

        using var actual = model.call(x);

        var adapters = model.ActiveLoraAdapters().ToDictionary(a => a.Path, a => (LinearLoraAdapter)a.Adapter);
        const double scaling = 8.0 / 4;   // Alpha / rank of [LoRA(rank: 4, Alpha = 8)]
        using var x64 = x.to(float64);
        using var hidden = LinearReference(x64, adapters["up"], scaling).relu();   // up.forward(x)
        using var expected = LinearReference(hidden, adapters["down"], scaling);   // down.call(h)
        Assert.True(RelativeError(actual, expected) < 1e-5, $"relative error {RelativeError(actual, expected)}");

        // Both paths really carry the update: without it the output differs.
        using (model.DisableLoRA())
        {
            using var baseline = model.call(x);
            Assert.True(RelativeError(baseline, expected) > 1e-3);
        }
    }

    [Fact]
    public void Merged_output_equals_unmerged_output_and_unmerge_restores_the_weights()
    {
        manual_seed(3);
        using var model = new SelfAttention(8);
        model.eval();
        RandomizeLora(model);
        using var x = randn(2, 5, 8);
        using var unmerged = model.call(x);
        var weightsBefore = model.ActiveLoraAdapters().Select(a => Values(a.Adapter.BaseWeight)).ToList();

        model.Merge();
        Assert.True(model.IsMerged);
        using var merged = model.call(x);
        Assert.True(RelativeError(merged, unmerged) < 1e-5, $"relative error {RelativeError(merged, unmerged)}");

        model.Unmerge();
        Assert.False(model.IsMerged);
        var weightsAfter = model.ActiveLoraAdapters().Select(a => Values(a.Adapter.BaseWeight)).ToList();
        for (int i = 0; i < weightsBefore.Count; i++)
        {
            var maxDiff = weightsBefore[i].Zip(weightsAfter[i], (p, q) => Math.Abs(p - q)).Max();
            Assert.True(maxDiff < 1e-5, $"weight {i} differs by {maxDiff} after unmerge");
        }
    }

    [Fact]
    public void While_merged_the_interceptor_runs_the_base_layer_only()
    {
        manual_seed(4);
        using var model = new Mlp(6, 10, 4);
        RandomizeLora(model);
        using var x = randn(3, 6);
        model.MergeLoRA();
        using var merged = model.call(x);
        // Zeroing A and B would change the output if the LoRA branch still ran on top of the merged weight.
        using (no_grad()) foreach (var (_, p) in model.LoraParameters()) p.zero_();
        using var again = model.call(x);
        Assert.Equal(Values(merged), Values(again));
    }

    [Fact]
    public void Only_lora_parameters_receive_gradients()
    {
        manual_seed(5);
        using var model = new Mlp(6, 10, 4);
        RandomizeLora(model);
        using var x = randn(4, 6);
        using var loss = model.call(x).pow(2).sum();
        loss.backward();

        var lora = model.LoraParameters().Select(p => p.Parameter.Handle).ToHashSet();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (lora.Contains(parameter.Handle))
                Assert.True(parameter.grad is not null, $"{name} has no gradient");
            else
                Assert.True(parameter.grad is null && !parameter.requires_grad, $"{name} is a base weight but is trainable");
        }
    }

    [Fact]
    public void Trainable_parameter_count_is_the_sum_of_r_times_in_plus_out()
    {
        using var model = new SelfAttention(16);
        var count = model.CountParameters();
        // query, key, value: rank 8; output: rank 4 (field override); router: [NoLoRA].
        long expected = 3 * 8 * (16 + 16) + 4 * (16 + 16);
        Assert.Equal(expected, count.Trainable);
        long baseParameters = 4 * (16 * 16 + 16) + (16 + 1);
        Assert.Equal(baseParameters + expected, count.Total);
    }

    [Fact]
    public void To_float64_moves_the_adapters_with_the_model()
    {
        manual_seed(6);
        using var model = new Mlp(6, 10, 4);
        RandomizeLora(model);
        model.to(float64);
        Assert.All(model.LoraParameters(), p => Assert.Equal(ScalarType.Float64, p.Parameter.dtype));
        using var x = randn(3, 6, dtype: float64);
        using var y = model.call(x);
        Assert.Equal(ScalarType.Float64, y.dtype);
    }

    [Fact]
    public void Eval_and_train_reach_the_adapters()
    {
        using var model = new SelfAttention(8);
        model.eval();
        Assert.All(model.ActiveLoraAdapters(), a => Assert.False(a.Adapter.training));
        model.train();
        Assert.All(model.ActiveLoraAdapters(), a => Assert.True(a.Adapter.training));
    }

    [Fact]
    public void Lora_parameters_are_named_by_their_path_in_a_nested_model()
    {
        using var encoder = new Encoder(8, 2);
        var names = encoder.LoraParameters().Select(p => p.Name).ToList();
        Assert.Contains("blocks.0.query.lora_A.weight", names);
        Assert.Contains("blocks.0.query.lora_B.weight", names);
        Assert.Contains("blocks.1.output.lora_B.weight", names);
        Assert.DoesNotContain(names, n => n.Contains("router"));
        Assert.Equal(2 * 4 * 2, names.Count);
    }

    [Fact]
    public void Static_metadata_describes_every_target_without_an_instance()
    {
        var targets = SelfAttention.LoraTargets;
        Assert.Equal(["query", "key", "value", "output"], targets.Select(t => t.Name));
        Assert.All(targets, t => Assert.Equal(LoraLayerKind.Linear, t.Kind));
        Assert.Equal([8, 8, 8, 4], targets.Select(t => t.Rank));
        Assert.All(targets, t => Assert.Equal(16.0, t.Alpha));
        Assert.All(targets, t => Assert.Equal(0.05, t.Dropout));
        Assert.Equal(4.0, targets[3].Scaling);
    }

    [Fact]
    public void A_constructor_that_never_calls_RegisterComponents_fails_on_first_forward_with_a_clear_message()
    {
        using var model = new Unregistered();
        using var x = randn(1, 3);
        var error = Assert.Throws<InvalidOperationException>(() => model.forward(x));
        Assert.Contains("RegisterComponents()", error.Message);
        Assert.Contains("Unregistered", error.Message);
    }
}

public sealed class ComponentNameTests
{
    [Fact]
    public void Lora_parameters_follow_TorchSharp_component_names_of_fields_and_auto_properties()
    {
        using var model = new Renamed();
        var baseKeys = model.named_parameters().Select(p => p.name).ToList();
        Assert.Contains("q_proj.weight", baseKeys);
        Assert.Contains("v_proj.weight", baseKeys);
        Assert.Equal(["q_proj.lora_A.weight", "q_proj.lora_B.weight", "v_proj.lora_A.weight", "v_proj.lora_B.weight"],
            model.LoraParameters().Select(p => p.Name));
        Assert.Equal(["q_proj", "v_proj"], Renamed.LoraTargets.Select(t => t.Name));
    }

    [Fact]
    public void Auto_property_targets_are_routed_too()
    {
        manual_seed(31);
        using var model = new Renamed();
        TestTensors.RandomizeLora(model);
        using var x = randn(3, 4);
        using var adapted = model.call(x);
        using var _ = model.DisableLoRA();
        using var baseline = model.call(x);
        Assert.True(TestTensors.RelativeError(adapted, baseline) > 1e-3);
    }
}
