using LoraSdk.Generated.Tests.Models;
using TorchSharp;
using TorchSharp.Modules;
using static LoraSdk.Generated.Tests.TestTensors;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests;

/// <summary>Generated Conv2d and Embedding targets against float64 formulas.</summary>
public sealed class ConvAndEmbeddingRoutingTests
{
    [Fact]
    public void Conv2d_target_adds_scaled_B_of_A_of_x_with_rsLoRA_scaling()
    {
        manual_seed(11);
        using var model = new ConvNet();
        RandomizeLora(model);
        using var x = randn(2, 2, 7, 7);

        using var actual = model.forward(x);

        var adapter = (Conv2dLoraAdapter)model.ActiveLoraAdapters().Single().Adapter;
        var conv = (Conv2d)adapter.Target;
        double scaling = 6.0 / Math.Sqrt(3);   // Alpha / √rank with UseRsLoRA
        using var x64 = x.to(float64);
        using var w = conv.weight!.to(float64);
        using var b = conv.bias!.to(float64);
        using var a = adapter.LoraA.to(float64);
        using var bMat = adapter.LoraB.to(float64);
        using var baseOut = nn.functional.conv2d(x64, w, b, strides: [2, 2], padding: [1, 1]);
        using var down = nn.functional.conv2d(x64, a, strides: [2, 2], padding: [1, 1]);
        using var up = nn.functional.conv2d(down, bMat);
        using var expected = baseOut.add(up.mul(scaling));

        Assert.True(RelativeError(actual, expected) < 1e-5, $"relative error {RelativeError(actual, expected)}");
    }

    [Fact]
    public void Embedding_target_adds_scaled_rows_of_A_transposed_times_B_transposed()
    {
        manual_seed(12);
        using var model = new TokenEmbedding();
        using var ids = tensor(new long[] { 0, 3, 10, 3, 7, 1 }).reshape(2, 3);
        using (var atInit = model.call(ids))
        using (model.DisableLoRA())
        using (var baseline = model.call(ids))
            Assert.Equal(Values(baseline), Values(atInit));   // PEFT's embedding init: A zeros

        RandomizeLora(model);
        using var actual = model.call(ids);

        var adapter = (EmbeddingLoraAdapter)model.ActiveLoraAdapters().Single().Adapter;
        const double scaling = 2.0 / 4;
        using var table = adapter.BaseWeight.to(float64);
        using var aT = adapter.LoraA.to(float64).t();
        using var bT = adapter.LoraB.to(float64).t();
        using var flat = ids.flatten();
        using var expected = table.index_select(0, flat)
            .add(aT.index_select(0, flat).matmul(bT).mul(scaling))
            .reshape(2, 3, 6);

        Assert.True(RelativeError(actual, expected) < 1e-5, $"relative error {RelativeError(actual, expected)}");
    }

    [Fact]
    public void Conv2d_and_embedding_merge_to_the_same_output()
    {
        manual_seed(13);
        using var conv = new ConvNet();
        using var embedding = new TokenEmbedding();
        RandomizeLora(conv);
        RandomizeLora(embedding);
        using var x = randn(1, 2, 6, 6);
        using var ids = tensor(new long[] { 2, 4, 9 });
        using var convBefore = conv.forward(x);
        using var embeddingBefore = embedding.call(ids);

        conv.Merge();
        embedding.Merge();

        using var convAfter = conv.forward(x);
        using var embeddingAfter = embedding.call(ids);
        Assert.True(RelativeError(convAfter, convBefore) < 1e-5);
        Assert.True(RelativeError(embeddingAfter, embeddingBefore) < 1e-5);
    }
}
