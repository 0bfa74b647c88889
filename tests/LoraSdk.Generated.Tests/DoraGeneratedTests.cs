using LoraSdk.Generated.Tests.Models;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests;

/// <summary>[LoRA(UseDoRA = …)] through the generator: class default, field override, run-time override.</summary>
public sealed class DoraGeneratedTests
{
    [Fact]
    public void The_class_declares_DoRA_and_a_field_turns_it_off()
    {
        manual_seed(3);
        using var model = new DoraMlp();
        var adapters = model.ActiveLoraAdapters().ToDictionary(a => a.Path, a => a.Adapter);
        Assert.True(adapters["up"].Options.UseDoRA);
        Assert.NotNull(adapters["up"].Magnitude);
        Assert.False(adapters["down"].Options.UseDoRA);
        Assert.Null(adapters["down"].Magnitude);
        Assert.Equal([true, false], DoraMlp.LoraTargets.Select(t => t.UseDoRA));
        Assert.Contains(model.LoraParameters(), p => p.Name == "up.lora_magnitude_vector" && p.Parameter.requires_grad);

        // A fresh DoRA adapter starts as the base layer, through the generated interceptors.
        using var x = randn(4, 6);
        using var adapted = model.call(x);
        using (model.DisableLoRA())
        {
            using var plain = model.call(x);
            Assert.True((adapted - plain).abs().max().item<float>() < 1e-5f);
        }
    }

    [Fact]
    public void An_override_scope_turns_DoRA_on_for_every_target()
    {
        Mlp model;
        using (LoraOptionsOverride.Apply(new LoraOptionsOverride { UseDoRA = true }))
            model = new Mlp(6, 10, 4);
        using var _ = model;
        Assert.All(model.ActiveLoraAdapters(), a => Assert.True(a.Adapter.Options.UseDoRA));
        Assert.All(Mlp.LoraTargets, t => Assert.False(t.UseDoRA)); // the static metadata stays the declaration
    }
}
