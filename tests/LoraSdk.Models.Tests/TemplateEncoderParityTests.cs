using Company.LoraProject.Model;
using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>
/// The classification template ships its own copies of the encoder block (<c>EncoderLayer</c>, <c>SelfAttention</c>) so
/// users see the [LoRA] attribute; given the same weights, they must compute what <see cref="BertLayer"/> does.
/// </summary>
public sealed class TemplateEncoderParityTests
{
    private static readonly BertConfig Config = TinyBert.Config;

    [Fact]
    public void Template_encoder_layer_matches_BertLayer_with_the_same_weights_and_adapters()
    {
        manual_seed(3);
        using var original = new BertLayer(Config);
        using var copy = new EncoderLayer(Config);
        var source = original.state_dict();
        var target = copy.state_dict();
        // Same parameter names and shapes: the template's keys are the checkpoint's and PEFT's.
        Assert.Equal(source.Keys.Order(), target.Keys.Order());
        using (no_grad())
        {
            // Random everywhere, LoRA B included, so the adapters' update is part of what is compared.
            foreach (var (name, tensor) in source)
            {
                tensor.copy_(randn_like(tensor) * 0.5);
                target[name].copy_(tensor);
            }
        }
        original.eval();
        copy.eval();

        using var hidden = randn(2, 5, Config.HiddenSize);
        using var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, [2, 5]);
        using var additive = BertModel.AdditiveMask(mask, hidden.dtype);
        using var expected = original.call(hidden, additive);
        using var actual = copy.call(hidden, additive);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(allclose(actual, expected, rtol: 1e-6, atol: 1e-6),
            $"largest difference {(actual - expected).abs().max().item<float>()}");
    }
}
