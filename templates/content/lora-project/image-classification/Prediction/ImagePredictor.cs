using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Company.LoraProject.Data;
using Company.LoraProject.Model;
using Company.LoraProject.Training;
using LoraSdk;
using LoraSdk.Models;
using static TorchSharp.torch;

namespace Company.LoraProject.Prediction;

/// <summary>
/// `predict`: the pretrained ResNet-18 with the trained adapter and head, the adapter merged into the convolution
/// weights (W + scaling·B·A), so inference costs exactly what the base network costs. The label names and image
/// size come from the adapter file itself (its safetensors metadata), so the app needs no training data.
/// </summary>
public static class ImagePredictor
{
    /// <summary>The csproj's LoraFineTune item: the build copies its adapter to lora/fashion/ next to the app.</summary>
    public const string AdapterName = "fashion";

    public static int Run(FineTuneSettings settings, string imagePath)
    {
        string adapter = ShippedAdapter.Directory(AdapterName);
        if (!ShippedAdapter.Exists(AdapterName))
        {
            Console.Error.WriteLine($"No adapter in {adapter}: run `dotnet build` (or `dotnet publish`) first.");
            return 1;
        }
        if (!File.Exists(imagePath))
        {
            Console.Error.WriteLine(Directory.Exists(imagePath)
                ? $"{imagePath}: is a folder, not an image file: pass one image (e.g. {Path.Combine(imagePath, "<name>.png")})."
                : $"{imagePath}: no such image file.");
            return 1;
        }
        if (settings.Threads > 0) set_num_threads(settings.Threads);
        string weights = Path.Combine(adapter, "adapter_model.safetensors");
        if (!TryReadMetadata(weights, out var labels, out int imageSize, out string problem))
            return Unusable($"{weights}: {problem}");

        using var model = GarmentClassifier.Create(labels.Count, settings.Seed);
        if (!model.TryLoadAdapter(adapter, out problem)) return Unusable(problem);
        model.MergeLoRA(safe: true);
        model.eval();
        using var preprocessing = ResNet18Package.LoadPreprocessing();

        byte[] pixels;
        try
        {
            pixels = ImageFolder.Decode(imagePath, imageSize);
        }
        catch (ImageDataException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var image = LabeledImages.FromRgb(pixels, 1, imageSize, [0], labels);
        var probabilities = nn.functional.softmax(model.call(preprocessing.Apply(image.Pixels)), dim: 1)[0];
        int best = (int)probabilities.argmax().item<long>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{labels[best]} (confidence {probabilities[best].item<float>():P1})"));
        return 0;
    }

    /// <summary>A damaged or mismatched adapter is the user's to rebuild, not a crash: say what and how, no stack trace.</summary>
    private static int Unusable(string problem)
    {
        Console.Error.WriteLine($"error: cannot use the adapter: {problem}");
        Console.Error.WriteLine("Rebuild it with `dotnet build` (or `dotnet run -- train`).");
        return 1;
    }

    /// <summary>The label names and image size that training wrote into the safetensors header's __metadata__.</summary>
    private static bool TryReadMetadata(string file, out List<string> labels, out int imageSize, out string problem)
    {
        labels = [];
        imageSize = 0;
        problem = "";
        try
        {
            using var stream = File.OpenRead(file);
            var size = new byte[8];
            stream.ReadExactly(size);
            long length = BinaryPrimitives.ReadInt64LittleEndian(size);
            if (length <= 0 || length > stream.Length - 8) { problem = "not a safetensors file (or truncated)."; return false; }
            var header = new byte[length];
            stream.ReadExactly(header);
            using var json = JsonDocument.Parse(header);
            if (!json.RootElement.TryGetProperty("__metadata__", out var metadata)
                || !metadata.TryGetProperty(ImageFineTuning.LabelsKey, out var names)
                || !metadata.TryGetProperty(ImageFineTuning.ImageSizeKey, out var side)
                || !int.TryParse(side.GetString(), CultureInfo.InvariantCulture, out imageSize))
            {
                problem = $"its metadata has no '{ImageFineTuning.LabelsKey}' and '{ImageFineTuning.ImageSizeKey}' (not written by this project's `train`).";
                return false;
            }
            labels = [.. names.GetString()!.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
            return labels.Count >= 2 || Fail(out problem, "it names fewer than two labels.");
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException)
        {
            problem = $"not a readable safetensors file ({e.Message}).";
            return false;
        }
    }

    private static bool Fail(out string problem, string text)
    {
        problem = text;
        return false;
    }
}
