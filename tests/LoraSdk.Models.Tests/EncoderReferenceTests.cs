using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>The encoder against a float64 reference written from the BERT equations with plain tensor arithmetic.</summary>
public sealed class EncoderReferenceTests
{
    [Fact]
    public void Tiny_encoder_in_float64_matches_the_reference()
    {
        using var model = TinyBert.Create(seed: 3);
        model.to(ScalarType.Float64);
        manual_seed(4);
        using var ids = randint(0, TinyBert.Config.VocabSize, [2, 6], dtype: ScalarType.Int64);
        using var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, [2, 6]);
        var weights = model.BaseParameters();

        using var _ = no_grad();
        using var actual = model.call(ids, mask);
        using var expected = Reference(weights, ids, mask, TinyBert.Config);

        Assert.Equal(ScalarType.Float64, actual.dtype);
        double maxAbs = (actual - expected).abs().max().item<double>();
        Assert.True(maxAbs < 1e-10, $"max abs difference {maxAbs:E3}");
    }

    [Fact]
    public void Mean_pooling_ignores_padding_and_normalisation_gives_unit_rows()
    {
        using var hidden = tensor(new double[] { 1, 2, 3, 4, 100, 100, 5, 6, 7, 8, 9, 10 }, [2, 3, 2]);
        using var mask = tensor(new long[] { 1, 1, 0, 1, 1, 1 }, [2, 3]);

        using var pooled = Pooling.MeanPool(hidden, mask);
        using var normed = Pooling.SentenceEmbedding(hidden, mask);

        Assert.Equal([2.0, 3.0, 7.0, 8.0], pooled.data<double>().ToArray());
        double n0 = Math.Sqrt(2 * 2 + 3 * 3);
        Assert.Equal(2 / n0, normed[0, 0].item<double>(), 12);
        Assert.Equal(3 / n0, normed[0, 1].item<double>(), 12);
    }

    private static Tensor Reference(Dictionary<string, Tensor> w, Tensor ids, Tensor mask, BertConfig config)
    {
        using var scope = NewDisposeScope();
        long batch = ids.shape[0], length = ids.shape[1];
        int heads = config.NumHeads, size = config.HeadSize;
        Tensor Linear(Tensor x, string name) => x.matmul(w[name + ".weight"].t()) + w[name + ".bias"];
        Tensor Norm(Tensor x, string name)
        {
            var mean = x.mean([-1], keepdim: true);
            var variance = (x - mean).pow(2).mean([-1], keepdim: true);
            return (x - mean) / (variance + config.LayerNormEps).sqrt() * w[name + ".weight"] + w[name + ".bias"];
        }

        var positions = arange(length).unsqueeze(0).expand(batch, length);
        var x = w["embeddings.word_embeddings.weight"][ids]
              + w["embeddings.position_embeddings.weight"][positions]
              + w["embeddings.token_type_embeddings.weight"][zeros_like(ids)];
        x = Norm(x, "embeddings.LayerNorm");
        var padding = mask.eq(0).view(batch, 1, 1, length);
        for (int layer = 0; layer < config.NumLayers; layer++)
        {
            string p = $"encoder.layer.{layer}.";
            Tensor Heads(Tensor t) => t.view(batch, length, heads, size).permute(0, 2, 1, 3);
            var q = Heads(Linear(x, p + "attention.self.query"));
            var k = Heads(Linear(x, p + "attention.self.key"));
            var v = Heads(Linear(x, p + "attention.self.value"));
            var scores = q.matmul(k.transpose(-1, -2)) / Math.Sqrt(size);
            var exp = (scores - scores.amax([-1], keepdim: true)).exp().masked_fill(padding, 0.0);
            var probabilities = exp / exp.sum([-1], keepdim: true);
            var context = probabilities.matmul(v).permute(0, 2, 1, 3).reshape(batch, length, -1);
            var attended = Norm(Linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm");
            var inner = Linear(attended, p + "intermediate.dense");
            var gelu = inner * 0.5 * (1.0 + special.erf(inner / Math.Sqrt(2.0)));
            x = Norm(Linear(gelu, p + "output.dense") + attended, p + "output.LayerNorm");
        }
        return x.MoveToOuterDisposeScope();
    }
}
