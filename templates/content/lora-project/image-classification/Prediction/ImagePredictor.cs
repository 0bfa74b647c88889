using System.Globalization;
using Company.LoraProject.Data;
using Company.LoraProject.Model;
using Company.LoraProject.Training;
using LoraSdk;
using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Company.LoraProject.Prediction;

/// <summary>
/// `predict`: the pretrained ResNet-18 with the trained adapter and head, the adapter merged into the convolution
/// weights (W + scaling·B·A), so inference costs exactly what the base network costs.
/// </summary>
public static class ImagePredictor
{
    public static int Run(FineTuneSettings settings, string imagePath)
    {
        string labelsFile = Path.Combine(settings.Output, ImageFineTuning.LabelsFile);
        if (!File.Exists(labelsFile))
        {
            Console.Error.WriteLine($"No adapter in {settings.Output}: run `dotnet build` (or `dotnet run -- train`) first.");
            return 1;
        }
        if (!File.Exists(imagePath))
        {
            Console.Error.WriteLine($"{imagePath}: no such image file.");
            return 1;
        }
        if (settings.Threads > 0) set_num_threads(settings.Threads);
        var labels = File.ReadAllLines(labelsFile).Where(l => l.Length > 0).ToList();

        using var model = GarmentClassifier.Create(labels.Count, settings.Seed);
        model.LoadAdapter(settings.Output);
        model.MergeLoRA(safe: true);
        model.eval();
        using var preprocessing = ResNet18Package.LoadPreprocessing();

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var pixels = ImageFolder.Decode(imagePath, settings.ImageSize);
        using var image = LabeledImages.FromRgb(pixels, 1, settings.ImageSize, [0], labels);
        var probabilities = nn.functional.softmax(model.call(preprocessing.Apply(image.Pixels)), dim: 1)[0];
        int best = (int)probabilities.argmax().item<long>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{labels[best]} (confidence {probabilities[best].item<float>():P1})"));
        return 0;
    }
}
