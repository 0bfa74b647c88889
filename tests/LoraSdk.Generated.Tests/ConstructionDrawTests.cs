using LoraSdk.Generated.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests;

/// <summary>
/// Building a [LoRA] class draws random numbers in this order: its base layers (as without [LoRA]), then one
/// kaiming-uniform draw of A per target in declaration order, and nothing else (B is zeros).
/// </summary>
public sealed class ConstructionDrawTests
{
    [Fact]
    public void Same_seed_gives_the_same_base_weights_with_and_without_LoRA_and_A_is_one_draw_per_target()
    {
        manual_seed(50);
        using var adapted = new Mlp(5, 7, 3);
        using var nextAfterAdapted = randn(6);

        manual_seed(50);
        using var plain = new PlainMlp(5, 7, 3);
        var plainWeights = plain.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var upA = empty(4, 5);
        nn.init.kaiming_uniform_(upA, Math.Sqrt(5));
        using var downA = empty(4, 7);
        nn.init.kaiming_uniform_(downA, Math.Sqrt(5));
        using var nextAfterPlainAndDraws = randn(6);

        foreach (var (name, parameter) in adapted.named_parameters().Where(p => !p.name.Contains("_lora")))
            Assert.True(parameter.eq(plainWeights[name]).all().item<bool>(), $"base weight '{name}' differs");
        var factors = adapted.LoraParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.True(factors["up.lora_A.weight"].eq(upA).all().item<bool>(), "up's A is not the first draw after the base layers");
        Assert.True(factors["down.lora_A.weight"].eq(downA).all().item<bool>(), "down's A is not the next draw");
        Assert.Equal(0, factors["up.lora_B.weight"].count_nonzero().item<long>());
        Assert.True(nextAfterAdapted.eq(nextAfterPlainAndDraws).all().item<bool>(), "construction drew more than one A per target");
    }
}
