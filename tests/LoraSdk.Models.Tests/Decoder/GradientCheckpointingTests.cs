using Xunit;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Decoder;

/// <summary>Gradient checkpointing recomputes each layer in backward: the gradients must be those of the plain backward (float64).</summary>
[Collection(GlobalRandomCollection.Name)]
public sealed class GradientCheckpointingTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)] // dropout: the recomputation must draw the same masks
    public void Checkpointed_gradients_equal_the_plain_ones(double dropout)
    {
        using var dir = new TempDirectory();
        var spec = new TinyDecoderSpec { Layers = 3 };
        var weights = spec.RandomWeights(seed: 11);
        var options = new CausalLMLoadOptions { DType = ScalarType.Float64, Dropout = dropout, TargetModules = CausalLMLoadOptions.AllTargetModules };
        using var model = DecoderTestKit.LoadTiny(dir, spec, weights, options);
        DecoderLoraKit.RandomizeAdapters(model, weights, seed: 12);
        model.train();
        var ids = DecoderTestKit.IdsTensor;
        var mask = DecoderTestKit.MaskTensor;
        var probe = randn([2, 6, spec.Vocab], ScalarType.Float64, generator: new TorchSharp.torch.Generator(13));

        Dictionary<string, Tensor> Gradients(bool checkpointing)
        {
            model.GradientCheckpointing = checkpointing;
            model.zero_grad();
            manual_seed(99); // the same dropout masks in both runs
            (model.call(ids, mask) * probe).sum().backward();
            return model.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        }

        var plain = Gradients(false);
        var checkpointed = Gradients(true);
        Assert.Equal(spec.Layers * 7 * 2, plain.Count);
        foreach (var (name, gradient) in plain)
        {
            Assert.True(gradient.abs().max().item<double>() > 0, $"{name} has no gradient");
            double difference = (gradient - checkpointed[name]).abs().max().item<double>();
            Assert.True(difference < 1e-12, $"{name}: checkpointed gradient differs by {difference:g3}");
        }
    }
}
