using System.Globalization;
using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Bench.ResNet;

/// <summary>
/// One fine-tuning mode on the Fashion-MNIST subset (the first N images of each class, as shipped in
/// samples/FashionMnist): <c>probe</c> trains the head only, <c>lora</c> the convolution adapters and the head,
/// <c>full</c> every weight (adapters off). Same data, seed, epochs, batches and warm-up + cosine schedule.
/// Run each mode in its own process so the peak RSS is that mode's.
/// </summary>
internal static class FineTuneBench
{
    public static int Run(Arguments a)
    {
        string mode = a.Text("mode", "lora");
        int side = a.Int("size", 64);
        string data = a.Text("data", FashionMnist.DebianDirectory);
        using var train = FashionMnist.Read(data, "train", a.Int("train-per-class", 200), side);
        using var validation = FashionMnist.Read(data, "t10k", a.Int("validation-per-class", 50), side);
        var options = new ImageTrainingOptions
        {
            Epochs = a.Int("epochs", 3),
            BatchSize = a.Int("batch", 32),
            WarmupSteps = a.Int("warmup", 5),
            LearningRate = a.Double("lr", mode switch { "probe" => 3e-3, "full" => 5e-4, _ => 2e-3 }),
            Seed = a.Int("seed", 42),
            LogEvery = 0,
        };

        var (model, preprocessing) = Pretrained.Load(a, options.Seed);
        using var _ = model;
        using var __ = preprocessing;
        using var disabled = mode == "lora" ? null : model.DisableLoRA();
        switch (mode)
        {
            case "probe": model.FreezeBase(ResNet18.HeadName); foreach (var (_, p) in model.LoraParameters()) p.requires_grad = false; break;
            case "lora": model.FreezeBase(ResNet18.HeadName); break;
            case "full": foreach (var (name, p) in model.named_parameters()) p.requires_grad = !name.Contains(".lora_") && !name.Contains("_lora."); break;
            default: throw new ArgumentException($"--mode must be probe, lora or full, not '{mode}'.");
        }
        long trainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        long total = model.BaseParameters().Values.Sum(t => t.numel());

        var result = ImageClassifierTrainer.Train(model, preprocessing, train, validation, options);
        var steady = result.StepSeconds.Skip(Math.Min(3, result.StepSeconds.Count - 1)).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {mode} | {side}×{side} | {result.ValidationAccuracy:P1} | {trainable:N0} ({100.0 * trainable / total:F2} % of {total:N0}) | {steady.Average():F3} s | {PeakMemory.Mebibytes():F0} MiB | {result.Steps} steps, final loss {result.Losses[^1]:F3} |"));
        return 0;
    }
}
