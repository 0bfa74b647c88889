using Company.LoraProject.Data;
using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Variants;

/// <summary>
/// samples/FashionMnist: the pretrained ResNet-18 (its [LoRA] r = 8, alpha 16 on the block convolutions and conv1) with a
/// new 10-way head, on the shipped subset (per class: 200 training, 50 validation images), trained by
/// <see cref="ImageClassifierTrainer"/> as bench/LoraSdk.Bench.ResNet's <c>finetune --mode lora</c> does.
/// </summary>
internal sealed class FashionTask : IVariantTask
{
    private readonly LabeledImages _train;
    private readonly LabeledImages _validation;
    private readonly ResNetPreprocessing _preprocessing = ResNet18Package.LoadPreprocessing();
    private readonly ImageTrainingOptions _options;
    private readonly long _seed;
    private readonly Dictionary<Variant, ResNet18> _models = [];

    public FashionTask(string images, int side, int trainPerClass, int validationPerClass, int epochs, long seed)
    {
        _train = ImageFolder.Read(Path.Combine(images, "train"), side, trainPerClass);
        _validation = ImageFolder.Read(Path.Combine(images, "validation"), side, validationPerClass, _train.LabelNames);
        _seed = seed;
        _options = new ImageTrainingOptions { Epochs = epochs, BatchSize = 32, WarmupSteps = 5, LearningRate = 2e-3, Seed = seed, LogEvery = 0 };
        int steps = (int)((_train.Count + _options.BatchSize - 1) / _options.BatchSize) * epochs;
        Budget = $"r = 8, alpha 16 on 22 convolutions + head; {side}×{side}; {steps} steps ({epochs} epoch(s) of {_train.Count} images × batch {_options.BatchSize}); lr 2e-3, 5 warm-up steps, cosine; seed {seed}";
    }

    public string Name => "Fashion-MNIST (ResNet-18)";

    public string Budget { get; }

    public AccuracyRun Train(Variant variant)
    {
        var adapter = variant.Bind(new LoraOptionsOverride(), typeof(ImageTrainingOptions));
        var options = variant.Bind(_options with { }, typeof(LoraOptionsOverride));
        manual_seed(_seed);
        ResNet18 model;
        using (LoraOptionsOverride.Apply(adapter))
            model = ResNet18Package.Load(labelCount: 10);
        _models[variant] = model;
        model.FreezeBase(ResNet18.HeadName);
        var result = ImageClassifierTrainer.Train(model, _preprocessing, _train, _validation, options);
        return new AccuracyRun(result.ValidationAccuracy ?? double.NaN, result.Steps, result.Losses[^1]);
    }

    public double SecondsPerStep(Variant variant, int steps)
    {
        var options = variant.Bind(_options with { Epochs = 1, WarmupSteps = 0 }, typeof(LoraOptionsOverride));
        long count = Math.Min(_train.Count, (long)steps * options.BatchSize);
        using var part = new LabeledImages(_train.Pixels[TensorIndex.Slice(0, count)], _train.Labels[TensorIndex.Slice(0, count)], _train.LabelNames);
        var result = ImageClassifierTrainer.Train(_models[variant], _preprocessing, part, null, options);
        return result.StepSeconds.Skip(1).Average(); // the first step of a run allocates the optimizer state
    }

    public void Dispose()
    {
        foreach (var model in _models.Values) model.Dispose();
        _train.Dispose();
        _validation.Dispose();
        _preprocessing.Dispose();
    }
}
