using Google.Protobuf;
using LoraSdk.Models.Onnx.Proto;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Loads a BERT encoder's weights from the initializers of an ONNX export of HuggingFace <c>BertModel</c>
/// (e.g. all-MiniLM-L6-v2), naming anonymous Linear weights through the graph (<see cref="OnnxWeightMap"/>).
/// </summary>
public static class OnnxBertImporter
{
    /// <summary>Copies the weights of an ONNX export of HuggingFace <c>BertModel</c> into <paramref name="model"/>.</summary>
    public static ImportReport Import(BertModel model, string path)
    {
        using var stream = OpenFile(path);
        return Import(model, stream, path);
    }

    /// <param name="source">How the stream is named in error messages.</param>
    /// <param name="model">The encoder whose base weights are replaced.</param>
    /// <param name="stream">The ONNX model.</param>
    public static ImportReport Import(BertModel model, Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = ReadGraph(stream, source);
        var entries = OnnxWeightMap.Build(graph);

        using var scope = NewDisposeScope();
        var weights = new Dictionary<string, SourceTensor>(StringComparer.Ordinal);
        var ignored = new List<string>();
        foreach (var (key, entry) in entries)
        {
            var path = HuggingFaceBertNames.ToModulePath(key);
            if (path is null)
            {
                ignored.Add(entry.Initializer.Name);
                continue;
            }
            var decoded = OnnxTensorDecoder.Decode(entry.Initializer, source);
            var tensor = entry.Transposed && decoded.dim() == 2 ? decoded.t() : decoded;
            string nameInFile = entry.Initializer.Name == key ? key : $"{entry.Initializer.Name}, the weight of {key}";
            weights[path] = new SourceTensor(tensor, nameInFile);
        }
        return WeightLoader.Load(model, weights, source, ignored);
    }

    /// <summary>Parses the ModelProto and returns its graph; a file that is not ONNX or is cut short fails here.</summary>
    internal static GraphProto ReadGraph(Stream stream, string source)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new WeightImportException(source, $"not a readable ONNX model (truncated or not ONNX): {e.Message}", e);
        }
        if (model.Graph is null || model.Graph.Initializer.Count == 0)
            throw new WeightImportException(source, "not an ONNX model with weights: it has no graph initializers.");
        return model.Graph;
    }

    private static FileStream OpenFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        return File.OpenRead(path);
    }
}
