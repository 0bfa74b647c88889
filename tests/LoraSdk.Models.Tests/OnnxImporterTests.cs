using System.Text;
using Google.Protobuf;
using LoraSdk.Models;

namespace LoraSdk.Models.Tests;

[Collection(MiniLmCollection.Name)]
public sealed class OnnxImporterTests(MiniLmFixture fixture)
{
    [Fact]
    public void Anonymous_transposed_linear_weights_are_named_through_the_graph()
    {
        using var source = TinyBert.Create(seed: 1);
        using var target = TinyBert.Create(seed: 2);
        var bytes = TinyBert.OnnxModel(source).ToByteArray();

        var report = OnnxBertImporter.Import(target, new MemoryStream(bytes), "tiny.onnx");

        TinyBert.AssertSameWeights(source, target);
        Assert.Equal(target.BaseParameters().Count, report.ParametersLoaded);
        Assert.Contains("925", report.IgnoredEntries);
    }

    [Fact]
    public void Truncated_model_fails_with_a_clear_error()
    {
        using var model = new BertModel(BertConfig.MiniLmL6);
        var cut = fixture.OnnxBytes.AsSpan(0, 1_000_000).ToArray();

        var error = Assert.Throws<WeightImportException>(() => OnnxBertImporter.Import(model, new MemoryStream(cut), "cut.onnx"));

        Assert.StartsWith("cut.onnx: ", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_onnx_fails_with_a_clear_error()
    {
        using var model = TinyBert.Create(seed: 1);
        var text = Encoding.UTF8.GetBytes("[PAD]\n[unused0]\nthe\nof\n");

        var error = Assert.Throws<WeightImportException>(() => OnnxBertImporter.Import(model, new MemoryStream(text), "vocab.txt"));

        Assert.Contains("vocab.txt", error.Message);
    }

    [Fact]
    public void A_missing_weight_is_named()
    {
        using var source = TinyBert.Create(seed: 1);
        var onnx = TinyBert.OnnxModel(source);
        onnx.Graph.Initializer.Remove(onnx.Graph.Initializer.Single(t => t.Name == "encoder.layer.1.output.LayerNorm.weight"));

        using var target = TinyBert.Create(seed: 2);
        var error = Assert.Throws<WeightImportException>(() => OnnxBertImporter.Import(target, new MemoryStream(onnx.ToByteArray()), "tiny.onnx"));

        Assert.Contains("missing 1 weight(s): 'encoder.layer.1.output.LayerNorm.weight'", error.Message);
    }

    [Fact]
    public void A_misshaped_weight_is_named_with_both_shapes_and_the_model_is_left_untouched()
    {
        using var source = TinyBert.Create(seed: 1);
        var onnx = TinyBert.OnnxModel(source);
        var initializers = onnx.Graph.Initializer;
        int at = initializers.IndexOf(initializers.Single(t => t.Name == "embeddings.word_embeddings.weight"));
        using var small = TorchSharp.torch.zeros(49, 8);
        initializers[at] = TinyBert.Initializer("embeddings.word_embeddings.weight", small);

        using var target = TinyBert.Create(seed: 2);
        using var before = TinyBert.CopyOf(target);
        var error = Assert.Throws<WeightImportException>(() => OnnxBertImporter.Import(target, new MemoryStream(onnx.ToByteArray()), "tiny.onnx"));

        Assert.Contains("'embeddings.word_embeddings.weight'", error.Message);
        Assert.Contains("[49, 8]", error.Message);
        Assert.Contains("[50, 8]", error.Message);
        TinyBert.AssertSameWeights(before, target);
    }

    [Fact]
    public void A_byte_count_that_disagrees_with_the_shape_is_reported_as_corrupt()
    {
        using var source = TinyBert.Create(seed: 1);
        var onnx = TinyBert.OnnxModel(source);
        var bias = onnx.Graph.Initializer.Single(t => t.Name == "encoder.layer.0.attention.self.key.bias");
        bias.RawData = ByteString.CopyFrom(bias.RawData.Span[..12]);

        using var target = TinyBert.Create(seed: 2);
        var error = Assert.Throws<WeightImportException>(() => OnnxBertImporter.Import(target, new MemoryStream(onnx.ToByteArray()), "tiny.onnx"));

        Assert.Contains("'encoder.layer.0.attention.self.key.bias' holds 12 bytes but its shape [8] needs 32", error.Message);
    }
}
