using LoraSdk;
using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

public sealed class SequenceClassifierTests
{
    [Fact]
    public void Logits_come_from_the_mean_of_the_unpadded_tokens()
    {
        using var model = new SequenceClassifier(TinyBert.Create(seed: 5), labelCount: 3);
        model.eval();
        using var ids = tensor(new long[] { 7, 8, 9, 0, 0 }, [1, 5]);
        using var mask = tensor(new long[] { 1, 1, 1, 0, 0 }, [1, 5]);
        using var shortIds = tensor(new long[] { 7, 8, 9 }, [1, 3]);
        using var shortMask = ones(1, 3, dtype: ScalarType.Int64);

        using var _ = no_grad();
        using var padded = model.call(ids, mask);
        using var unpadded = model.call(shortIds, shortMask);

        Assert.Equal([1L, 3L], padded.shape);
        Assert.True(padded.allclose(unpadded, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Unfrozen_full_fine_tuning_reaches_every_encoder_weight()
    {
        using var model = new SequenceClassifier(TinyBert.Create(seed: 6), labelCount: 3);
        var basePaths = model.BaseParameters().Keys.ToHashSet();
        foreach (var (name, parameter) in model.named_parameters()) parameter.requires_grad = basePaths.Contains(name);
        using var adaptersOff = model.DisableLoRA();
        model.train();
        manual_seed(7);
        using var ids = randint(0, TinyBert.Config.VocabSize, [4, 6], dtype: ScalarType.Int64);
        using var mask = ones(4, 6, dtype: ScalarType.Int64);
        using var targets = tensor(new long[] { 0, 1, 2, 1 });

        using var loss = nn.functional.cross_entropy(model.call(ids, mask), targets);
        loss.backward();

        foreach (var (name, parameter) in model.BaseParameters())
        {
            var grad = parameter.grad;
            Assert.True(grad is not null, $"{name} got no gradient");
            Assert.True(isfinite(grad).all().item<bool>(), $"{name} has a non-finite gradient");
        }
        var query = model.BaseParameters()["bert.encoder.layer.0.attention.self.query.weight"];
        Assert.True(query.grad!.abs().sum().item<float>() > 0, "the first query projection got a zero gradient");
    }
}
