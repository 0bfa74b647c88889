using LoraSdk.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>The C# encoder with imported weights computes what ONNX Runtime computes from the same ONNX file.</summary>
[Collection(MiniLmCollection.Name)]
public sealed class OnnxRuntimeParityTests(MiniLmFixture fixture, ITestOutputHelper output)
{
    private static readonly string[] Sentences =
    [
        "This is an example sentence",
        "Each sentence is converted",
        "My order arrived damaged, can I get a refund?",
        "Café owners in Zürich don't like naïve résumés!",
        "How do I reset the password of my account? It keeps saying the link has expired, and I have tried three times already.",
    ];

    [Fact]
    public void Last_hidden_state_matches_onnx_runtime_within_1e_4()
    {
        using var batch = fixture.Text.EncodeBatch(Sentences);
        float[] expected = RunOnnxRuntime(batch);

        using var _ = no_grad();
        using var actual = fixture.Encoder.call(batch.InputIds, batch.AttentionMask);
        var actualValues = actual.data<float>().ToArray();

        Assert.Equal(expected.Length, actualValues.Length);
        double maxAbs = expected.Zip(actualValues, (e, a) => Math.Abs((double)e - a)).Max();
        output.WriteLine($"{Sentences.Length} sentences, {actualValues.Length} values: max |C# − ONNX Runtime| = {maxAbs:E3}");
        Assert.True(maxAbs <= 1e-4, $"max |C# − ONNX Runtime| = {maxAbs:E3}");
    }

    [Fact]
    public void Example_sentence_embedding_matches_the_published_values()
    {
        using var batch = fixture.Text.EncodeBatch(["This is an example sentence"]);
        using var _ = no_grad();
        using var hidden = fixture.Encoder.call(batch.InputIds, batch.AttentionMask);
        using var embedding = Pooling.SentenceEmbedding(hidden, batch.AttentionMask);
        var values = embedding.data<float>().ToArray();

        Assert.Equal(384, values.Length);
        Assert.Equal([0.0677, 0.0635, 0.0487, 0.0793], values.Take(4).Select(v => Math.Round(v, 4)));
        Assert.Equal(1.0, Math.Sqrt(values.Sum(v => (double)v * v)), 5);
    }

    private float[] RunOnnxRuntime(EncodedBatch batch)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(fixture.OnnxBytes, options);
        int[] dims = [(int)batch.InputIds.shape[0], (int)batch.InputIds.shape[1]];
        var ids = new DenseTensor<long>(batch.InputIds.data<long>().ToArray(), dims);
        var mask = new DenseTensor<long>(batch.AttentionMask.data<long>().ToArray(), dims);
        var types = new DenseTensor<long>(new long[ids.Length], dims);
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", ids),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", types),
        };
        using var results = session.Run(inputs, ["last_hidden_state"]);
        return results.First().AsTensor<float>().ToArray();
    }
}
