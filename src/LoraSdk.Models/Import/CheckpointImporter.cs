using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Loads a BERT encoder's weights from HuggingFace checkpoints: <c>model.safetensors</c> and PyTorch
/// <c>pytorch_model.bin</c> / <c>.pt</c> / <c>.pth</c> state dicts (read with TorchSharp.PyBridge), with
/// HuggingFace key names (<c>bert.</c> prefixes and task heads are tolerated; see <see cref="HuggingFaceBertNames"/>).
/// </summary>
public static class CheckpointImporter
{
    /// <summary>Picks the reader from the file extension: .safetensors, .onnx, or a PyTorch pickle.</summary>
    public static ImportReport Import(BertModel model, string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".safetensors" => ImportSafetensors(model, path),
        ".onnx" => OnnxBertImporter.Import(model, path),
        _ => ImportPyTorch(model, path),
    };

    /// <summary>Copies a HuggingFace <c>model.safetensors</c> into <paramref name="model"/>; the header is checked first.</summary>
    /// <exception cref="WeightImportException">The file is unreadable, or weights are missing or misshaped; the model is unchanged.</exception>
    public static ImportReport ImportSafetensors(BertModel model, string path)
    {
        RequireFile(path);
        // The runtime's safetensors reader checks the framing before any tensor is read (header only: checkpoints are large).
        SafetensorsHeader.Read(path, (key, message, inner) => new WeightImportException(path, key is null ? message : $"'{key}': {message}", inner));
        Dictionary<string, Tensor> stateDict;
        try
        {
            stateDict = Safetensors.LoadStateDict(path);
        }
        catch (Exception e) when (e is not WeightImportException)
        {
            throw new WeightImportException(path, $"could not read the safetensors data: {e.Message}", e);
        }
        return LoadStateDict(model, stateDict, path);
    }

    /// <summary>Copies a PyTorch state dict (<c>pytorch_model.bin</c>, <c>.pt</c>, <c>.pth</c>) into <paramref name="model"/>.</summary>
    /// <exception cref="WeightImportException">The file is unreadable, or weights are missing or misshaped; the model is unchanged.</exception>
    public static ImportReport ImportPyTorch(BertModel model, string path)
    {
        RequireFile(path);
        Hashtable table;
        try
        {
            using var stream = File.OpenRead(path);
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e)
        {
            throw new WeightImportException(path, $"not a readable PyTorch state dict (truncated, or not saved with torch.save(model.state_dict())): {e.Message}", e);
        }
        var stateDict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Value is Tensor tensor) stateDict[(string)entry.Key] = tensor;
        }
        return LoadStateDict(model, stateDict, path);
    }

    private static ImportReport LoadStateDict(BertModel model, Dictionary<string, Tensor> stateDict, string source)
    {
        try
        {
            var named = stateDict.Select(kv => KeyValuePair.Create(kv.Key, new SourceTensor(kv.Value, kv.Key)));
            var weights = HuggingFaceBertNames.Map(named, out var ignored);
            return WeightLoader.Load(model, weights, source, ignored);
        }
        finally
        {
            foreach (var tensor in stateDict.Values) tensor.Dispose();
        }
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
    }
}
