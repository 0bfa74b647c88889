using LoraSdk.Generated.Tests.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests;

/// <summary>[LoRA(Base = …)]: the declared quantization is applied at the layer's first forward, a field's choice first.</summary>
public sealed class DeclaredBaseTests
{
    [Fact]
    public void The_declared_bases_are_applied_at_the_first_forward_after_weights_were_loaded()
    {
        manual_seed(21);
        using var model = new QuantizedMlp(6, 10, 4);
        var adapters = model.ActiveLoraAdapters().ToDictionary(a => a.Path, a => a.Adapter);
        Assert.All(adapters.Values, a => Assert.Equal(LoraBase.Float32, a.BaseStorage)); // loading may still come

        var up = (Linear)adapters["up"].Target;
        using (no_grad()) up.weight.copy_(randn(10, 6)); // "pretrained" weights loaded after construction
        using var expectedUp = Quantization.QuantizedWeight.Create(up.weight, LoraBase.Nf4).Dequantize(float32);

        using var x = randn(3, 6);
        using (no_grad()) model.call(x).Dispose();

        Assert.Equal(LoraBase.Nf4, adapters["up"].BaseStorage);
        Assert.Equal(LoraBase.Int8, adapters["down"].BaseStorage); // the field's own Base wins
        Assert.Equal(2, adapters["down"].Rank);
        using var actualUp = adapters["up"].QuantizedBase!.Dequantize(float32);
        Assert.True(actualUp.eq(expectedUp).all().item<bool>());
        Assert.Equal(0, up.weight.numel());
    }

    [Fact]
    public void A_renamed_field_keeps_its_own_base()
    {
        using var model = new QuantizedRenamed();
        var adapters = model.ActiveLoraAdapters().ToDictionary(a => a.Path, a => a.Adapter);
        Assert.Equal(["k_proj", "value"], adapters.Keys.Order());

        using var x = randn(3, 4);
        using (no_grad()) model.call(x).Dispose();

        Assert.Equal(LoraBase.Int8, adapters["k_proj"].BaseStorage); // the field's Base, though its target name is k_proj
        Assert.Equal(LoraBase.Nf4, adapters["value"].BaseStorage);
    }

    [Fact]
    public void A_declared_base_on_an_unsupported_layer_kind_fails_when_the_model_is_built()
    {
        var e = Assert.Throws<NotSupportedException>(() => new QuantizedConv());
        Assert.Contains("QuantizedConv.conv", e.Message);
        Assert.Contains("Conv2d", e.Message);
    }
}
