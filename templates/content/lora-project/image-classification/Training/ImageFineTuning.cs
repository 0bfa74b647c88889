using System.Globalization;
using Company.LoraProject.Data;
using Company.LoraProject.Model;
using LoraSdk;
using LoraSdk.Hosting;
using LoraSdk.Models;
using Microsoft.Extensions.Configuration;
using TorchSharp;

namespace Company.LoraProject.Training;

/// <summary>`train`: reads and checks every image, fine-tunes, prints accuracy before/after, saves the adapter and tells the build what it read.</summary>
public static class ImageFineTuning
{
    /// <summary>Safetensors metadata keys that `predict` reads: the label names (one per line, in id order) and the image side.</summary>
    public const string LabelsKey = "labels";
    public const string ImageSizeKey = "image_size";

    public static int Run(FineTuneSettings settings, IConfiguration configuration)
    {
        if (settings.Threads > 0) torch.set_num_threads(settings.Threads);
        // All data is read and checked before any training.
        using var train = ImageFolder.Read(settings.Dataset, settings.ImageSize, settings.MaxImagesPerClass);
        using var validation = settings.ValidationDataset is null
            ? null
            : ImageFolder.Read(settings.ValidationDataset, settings.ImageSize, settings.MaxImagesPerClass, train.LabelNames);
        Console.WriteLine($"{train.Count} training and {validation?.Count ?? 0} validation images, {train.LabelNames.Count} labels, {settings.ImageSize}×{settings.ImageSize}");

        using var model = GarmentClassifier.Create(train.LabelNames.Count, settings.Seed);
        using var preprocessing = ResNet18Package.LoadPreprocessing();
        var counts = model.CountParameters();
        Console.WriteLine($"trainable parameters: {counts.Trainable:N0} of {counts.Total:N0} ({100.0 * counts.Trainable / counts.Total:F2} %)");
        double? before = validation is null ? null : ImageClassifierTrainer.Accuracy(model, preprocessing, validation);
        if (before is { } b) Console.WriteLine(Invariant($"validation accuracy before: {b:P1}"));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var options = new ImageTrainingOptions
        {
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            WeightDecay = settings.WeightDecay,
            WarmupSteps = settings.WarmupSteps,
            LogEvery = settings.LogEvery,
            Seed = settings.Seed,
        };
        var result = ImageClassifierTrainer.Train(model, preprocessing, train, validation, options, Console.WriteLine);
        if (result.ValidationAccuracy is { } accuracy) Console.WriteLine(Invariant($"validation accuracy after: {accuracy:P1}"));

        model.SaveAdapter(settings.Output, new AdapterSaveOptions
        {
            ModulesToSave = [GarmentClassifier.Head],
            BaseModelNameOrPath = $"{ResNet18Package.PackageId}/{ResNet18Package.PackageVersion}",
            Metadata = new Dictionary<string, string>
            {
                [LabelsKey] = string.Join('\n', train.LabelNames),
                [ImageSizeKey] = settings.ImageSize.ToString(CultureInfo.InvariantCulture),
            },
        });
        Console.WriteLine($"adapter written to {settings.Output} ({result.Steps} steps)");
        // What `dotnet build` reads (LoraSdk's trainer/build contract): the files this run read, so the next build
        // retrains only when an image, appsettings.json or the code changed, and the result line it shows.
        BuildProtocol.WriteDependencyFile(configuration, [settings.Dataset, settings.ValidationDataset]);
        BuildProtocol.WriteResult(settings.Output, result.Losses.Count > 0 ? result.Losses[^1] : null, null, result.ValidationAccuracy, before, clock.Elapsed);
        return 0;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
