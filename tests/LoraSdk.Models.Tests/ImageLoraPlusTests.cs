using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>
/// <see cref="ImageTrainingOptions.LoraPlusLrRatio"/>: on Adam's first step every element moves by its group's rate
/// (lr·|g|/(|g|+ε)), so the largest change of each tensor shows the rate it trained at.
/// </summary>
public sealed class ImageLoraPlusTests
{
    private static Dictionary<string, double> LargestSteps(double ratio)
    {
        manual_seed(3);
        using var model = new ResNet18(labelCount: 3, ResNet18.TorchvisionBlocks);
        model.FreezeBase(ResNet18.HeadName);
        using (no_grad())
            foreach (var (_, p) in model.LoraParameters()) p.normal_(0, 0.05); // a zero B would leave A's gradient zero
        string[] adapters = ["layer1.0.conv1.lora_A.weight", "layer1.0.conv1.lora_B.weight"];
        var watched = model.LoraParameters().Where(p => adapters.Contains(p.Name)).Select(p => (p.Name, p.Parameter))
            .Concat(model.named_parameters().Where(p => p.name.StartsWith("fc.", StringComparison.Ordinal)).Select(p => (Name: p.name, Parameter: (Tensor)p.parameter)))
            .ToList();
        var before = watched.ToDictionary(w => w.Name, w => w.Parameter.detach().clone());

        using var preprocessing = new ResNetPreprocessing(full(1, 3, 16, 16, 120f));
        using var images = new LabeledImages(rand(6, 3, 16, 16) * 255, tensor(new long[] { 0, 1, 2, 0, 1, 2 }), ["a", "b", "c"]);
        ImageClassifierTrainer.Train(model, preprocessing, images, null, new ImageTrainingOptions
        {
            Epochs = 1, BatchSize = 6, LearningRate = 1e-3, WeightDecay = 0, MaxGradNorm = 0, LoraPlusLrRatio = ratio, LogEvery = 0,
        });
        return watched.ToDictionary(w => w.Name, w => (w.Parameter.to(float64) - before[w.Name].to(float64)).abs().max().item<double>());
    }

    [Fact]
    public void B_and_the_heads_bias_move_by_ratio_times_the_rate_of_A()
    {
        var steps = LargestSteps(ratio: 16);
        Assert.Equal(4, steps.Count);
        foreach (var (name, rate) in new[] { ("layer1.0.conv1.lora_A.weight", 1e-3), ("layer1.0.conv1.lora_B.weight", 16e-3), ("fc.weight", 1e-3), ("fc.bias", 16e-3) })
            Assert.True(Math.Abs(steps[name] - rate) <= 2e-3 * rate, $"{name} moved by {steps[name]:R}, its rate is {rate:R}");
    }

    [Fact]
    public void Ratio_one_moves_every_tensor_by_the_rate()
    {
        foreach (var (name, step) in LargestSteps(ratio: 1))
            Assert.True(Math.Abs(step - 1e-3) <= 2e-3 * 1e-3, $"{name} moved by {step:R}, the rate is 1e-3");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    public void A_ratio_that_is_no_positive_number_is_refused(double ratio)
    {
        using var model = new ResNet18(labelCount: 2, ResNet18.TorchvisionBlocks);
        using var preprocessing = new ResNetPreprocessing(zeros(1, 3, 8, 8));
        using var images = new LabeledImages(zeros(2, 3, 8, 8), tensor(new long[] { 0, 1 }), ["a", "b"]);
        var error = Assert.Throws<ArgumentException>(() =>
            ImageClassifierTrainer.Train(model, preprocessing, images, null, new ImageTrainingOptions { LoraPlusLrRatio = ratio }));
        Assert.StartsWith($"LoraPlusLrRatio = {ratio} must be a positive number (1 is plain LoRA).", error.Message);
    }
}
