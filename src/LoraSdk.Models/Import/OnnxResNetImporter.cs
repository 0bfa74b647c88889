using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Loads a <see cref="ResNet18"/>'s pretrained weights (convolutions and batch norms with their running
/// statistics; batch norms are kept, not folded into the convolutions, so the keys stay torchvision's) from an
/// ONNX ResNet-18 graph, naming its anonymous initializers through the graph (<see cref="ResNetGraphNames"/>).
/// The head <c>fc</c> is not in the graph (it outputs the pooled features) and keeps its initialisation.
/// </summary>
public static class OnnxResNetImporter
{
    /// <summary>Copies the weights of a ResNet-18 ONNX graph into <paramref name="model"/>.</summary>
    public static ImportReport Import(ResNet18 model, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        using var stream = File.OpenRead(path);
        return Import(model, stream, path);
    }

    /// <param name="source">How the stream is named in error messages.</param>
    /// <param name="model">The network whose base weights are replaced.</param>
    /// <param name="stream">The ONNX model.</param>
    public static ImportReport Import(ResNet18 model, Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = OnnxBertImporter.ReadGraph(stream, source);
        var named = ResNetGraphNames.Build(graph, source, model.BlocksPerStage);

        using var scope = NewDisposeScope();
        var weights = named.ToDictionary(
            entry => entry.Key,
            entry => new SourceTensor(OnnxTensorDecoder.Decode(entry.Value, source), $"{entry.Value.Name}, the {entry.Key}"),
            StringComparer.Ordinal);
        var targets = model.BaseState()
            .Where(entry => !entry.Key.StartsWith(ResNet18.HeadName + ".", StringComparison.Ordinal))
            .ToDictionary(entry => entry.Key, entry => entry.Value, StringComparer.Ordinal);
        var used = new HashSet<string>(named.Values.Select(t => t.Name), StringComparer.Ordinal);
        var ignored = graph.Initializer.Select(t => t.Name).Where(n => !used.Contains(n)).ToList();
        return WeightLoader.Load(model, weights, source, ignored, targets);
    }
}
