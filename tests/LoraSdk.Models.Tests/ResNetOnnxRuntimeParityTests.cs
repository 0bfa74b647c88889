using LoraSdk.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>
/// The C# ResNet-18 with imported weights computes what ONNX Runtime computes from the package's two graphs
/// (ResNetPreprocess.onnx, then ResNet18.onnx) on the same 224 × 224 RGB images.
/// </summary>
[Collection(ResNetCollection.Name)]
public sealed class ResNetOnnxRuntimeParityTests(ResNetFixture fixture, ITestOutputHelper output)
{
    private const int Side = ResNetPreprocessing.TrainedSize;

    [Fact]
    public void Pooled_features_match_onnx_runtime_within_1e_4()
    {
        float[][] images = [SyntheticImage(seed: 1), SyntheticImage(seed: 2)];
        using var _ = no_grad();
        double maxInput = 0, maxFeatures = 0, largest = 0;
        foreach (var image in images)
        {
            var (expectedInput, expectedFeatures) = RunOnnxRuntime(image);
            using var rgb = tensor(image, [1, 3, Side, Side]);
            using var input = fixture.Preprocessing.Apply(rgb);
            using var features = fixture.Model.Features(input);
            Assert.Equal([1L, ResNet18.FeatureSize], features.shape);
            maxInput = Math.Max(maxInput, MaxAbs(expectedInput, input.data<float>().ToArray()));
            maxFeatures = Math.Max(maxFeatures, MaxAbs(expectedFeatures, features.data<float>().ToArray()));
            largest = Math.Max(largest, expectedFeatures.Max(Math.Abs));
        }
        output.WriteLine($"max |C# − ONNX Runtime|: preprocessed input {maxInput:E3}, 512 pooled features {maxFeatures:E3} (largest feature {largest:F3})");
        Assert.True(maxInput <= 1e-4, $"preprocessing differs by {maxInput:E3}");
        Assert.True(maxFeatures <= 1e-4, $"features differ by {maxFeatures:E3}");
        Assert.True(largest > 0.1, "the features are all near zero: the comparison would prove nothing");
    }

    [Fact]
    public void Every_base_weight_and_running_statistic_is_imported()
    {
        var state = fixture.Model.BaseState();
        // 22 convolutions (conv1, 2 × 9 blocks, 3 downsamples), 22 batch norms × 4 tensors, fc weight and bias.
        Assert.Equal(22 + 22 * 4 + 2, state.Count);
        using var _ = no_grad();
        foreach (var (name, tensor) in state.Where(s => s.Key.EndsWith("running_var", StringComparison.Ordinal)))
            Assert.False(tensor.eq(1).all().item<bool>(), $"{name} still holds its initial value");
    }

    /// <summary>A smooth colour gradient with seeded noise, values in 0–255: an image-like input, not constant.</summary>
    private static float[] SyntheticImage(int seed)
    {
        var random = new Random(seed);
        var pixels = new float[3 * Side * Side];
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < Side; y++)
        for (int x = 0; x < Side; x++)
        {
            double wave = 127.5 + 90 * Math.Sin((x * (c + 1) + y * (3 - c)) / 23.0 + seed);
            pixels[(c * Side + y) * Side + x] = (float)Math.Clamp(wave + random.NextDouble() * 40 - 20, 0, 255);
        }
        return pixels;
    }

    private static (float[] Preprocessed, float[] Features) RunOnnxRuntime(float[] image)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var preprocess = new InferenceSession(ResNet18Package.PreprocessPath(), options);
        using var network = new InferenceSession(ResNet18Package.ModelPath(), options);
        var rgb = new DenseTensor<float>(image, Dims(preprocess.InputMetadata.Values.Single().Dimensions));
        using var prepared = preprocess.Run([NamedOnnxValue.CreateFromTensor(preprocess.InputMetadata.Keys.Single(), rgb)]);
        var preprocessed = prepared.Single().AsTensor<float>().ToArray();
        var input = new DenseTensor<float>(preprocessed, Dims(network.InputMetadata.Values.Single().Dimensions));
        using var results = network.Run([NamedOnnxValue.CreateFromTensor(network.InputMetadata.Keys.Single(), input)]);
        return (preprocessed, results.Single().AsTensor<float>().ToArray());
    }

    /// <summary>The graph's declared input shape, with a dynamic (batch) axis set to 1.</summary>
    private static int[] Dims(int[] declared) => declared.Select(d => d <= 0 ? 1 : d).ToArray();

    private static double MaxAbs(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
    }
}
