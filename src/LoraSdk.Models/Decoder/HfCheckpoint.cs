using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// The weights of a HuggingFace folder (<c>model.safetensors</c>, or shards listed by <c>model.safetensors.index.json</c>),
/// checked against the tensors a <see cref="DecoderConfig"/> needs before anything is read, then read one tensor at a time
/// (never a whole shard in memory). Headers are parsed by the repo's one safetensors reader (<see cref="SafetensorsHeader"/>).
/// </summary>
internal sealed class HfCheckpoint : IDisposable
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    private readonly Dictionary<string, (string File, SafetensorsEntry Entry, long DataStart)> _tensors;
    private readonly Dictionary<string, FileStream> _streams = new(StringComparer.Ordinal);

    private HfCheckpoint(Dictionary<string, (string File, SafetensorsEntry Entry, long DataStart)> tensors) => _tensors = tensors;

    /// <summary>The largest weight file's size in bytes.</summary>
    public long LargestFileBytes { get; private init; }

    /// <summary>Opens the folder's weights and checks names, shapes and dtypes against <paramref name="expected"/>.</summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="expected">Every tensor the model needs, with its shape.</param>
    /// <param name="optional">Tensors that may be present (checked for shape) and are not read, e.g. a tied lm_head.</param>
    public static HfCheckpoint Open(string folder, IReadOnlyDictionary<string, long[]> expected, IReadOnlyDictionary<string, long[]> optional)
    {
        var files = WeightFiles(folder, out string mapSource, out var weightMap);
        var tensors = new Dictionary<string, (string, SafetensorsEntry, long)>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var header = SafetensorsHeader.Read(file, (key, message, inner) => new ModelFolderException(file, key, message, inner));
            long dataStart = 8 + ReadHeaderLength(file);
            foreach (var (key, entry) in header.Tensors)
            {
                if (weightMap is not null && (!weightMap.TryGetValue(key, out var listed) || listed != Path.GetFileName(file)))
                    throw new ModelFolderException(file, key, $"the tensor is in this shard, but {mapSource} {(listed is null ? "does not list it" : $"maps it to {listed}")}.");
                if (!tensors.TryAdd(key, (file, entry, dataStart)))
                    throw new ModelFolderException(file, key, $"the tensor is also in {tensors[key].Item1}.");
            }
        }
        if (weightMap is not null)
            foreach (var (key, file) in weightMap)
                if (!tensors.ContainsKey(key))
                    throw new ModelFolderException(Path.Combine(folder, file), key, $"{mapSource} maps the tensor to this shard, but the shard does not hold it.");

        foreach (var (name, shape) in expected)
        {
            if (!tensors.TryGetValue(name, out var found))
                throw new ModelFolderException(files.Count == 1 ? files[0] : mapSource, name, "the model needs this tensor, but no weight file holds it.");
            Check(found.Item1, found.Item2, shape);
        }
        foreach (var (name, found) in tensors)
        {
            if (expected.ContainsKey(name)) continue;
            if (optional.TryGetValue(name, out var shape)) Check(found.Item1, found.Item2, shape);
            else if (!name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)) // a buffer old transformers saved; recomputed here
                throw new ModelFolderException(found.Item1, name, "the tensor is not part of this model (a different architecture, or a config that does not match the weights).");
        }
        return new HfCheckpoint(tensors) { LargestFileBytes = files.Max(f => new FileInfo(f).Length) };
    }

    /// <summary>Reads one tensor from its file, in the file's dtype (<c>copy_</c> into a parameter converts it).</summary>
    public Tensor Read(string name)
    {
        var (file, entry, dataStart) = _tensors[name];
        try
        {
            if (!_streams.TryGetValue(file, out var stream))
                _streams[file] = stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            stream.Position = dataStart + entry.Begin;
            var raw = empty(entry.Shape, entry.Type);
            try
            {
                raw.ReadBytesFromStream(stream);
                return raw;
            }
            catch
            {
                raw.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFolderException(file, name, $"the tensor could not be read: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        foreach (var stream in _streams.Values) stream.Dispose();
        _streams.Clear();
    }

    private static void Check(string file, SafetensorsEntry entry, long[] shape)
    {
        if (!entry.Shape.SequenceEqual(shape))
            throw new ModelFolderException(file, entry.Key,
                $"the file has shape {Shapes.Format(entry.Shape)}, the config gives {Shapes.Format(shape)} (hidden_size, heads, head_dim, intermediate_size and vocab_size decide it).");
        if (entry.Type is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64))
            throw new ModelFolderException(file, entry.Key, $"dtype {entry.DType} is not supported; LoraSdk loads F32, F16 and BF16 (and F64) weights (quantized checkpoints: load the float one and set CausalLMLoadOptions.Base).");
    }

    private static List<string> WeightFiles(string folder, out string mapSource, out Dictionary<string, string>? weightMap)
    {
        string single = Path.Combine(folder, SingleFile), index = Path.Combine(folder, IndexFile);
        mapSource = index;
        weightMap = null;
        if (File.Exists(single)) return [single];
        if (!File.Exists(index))
            throw new ModelFolderException(single, null, $"the folder has neither {SingleFile} nor {IndexFile} (LoraSdk loads safetensors weights; convert a .bin checkpoint with transformers' save_pretrained(safe_serialization=True)).");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(index));
            if (!document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new ModelFolderException(index, "weight_map", "is missing or not an object.");
            weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String || entry.Value.GetString() is not { Length: > 0 } shard
                    || shard.Contains('/') || shard.Contains('\\') || shard == "..")
                    throw new ModelFolderException(index, $"weight_map.{entry.Name}", "must be a shard file name in the folder.");
                weightMap[entry.Name] = shard;
            }
        }
        catch (JsonException e)
        {
            throw new ModelFolderException(index, null, $"is not valid JSON: {e.Message}", e);
        }
        var files = new List<string>();
        foreach (var shard in weightMap.Values.Distinct().Order(StringComparer.Ordinal))
        {
            string path = Path.Combine(folder, shard);
            if (!File.Exists(path))
                throw new ModelFolderException(index, shard, $"lists the shard {shard}, which is not in the folder.");
            files.Add(path);
        }
        if (files.Count == 0) throw new ModelFolderException(index, "weight_map", "lists no tensors.");
        return files;
    }

    private static long ReadHeaderLength(string file)
    {
        Span<byte> prefix = stackalloc byte[8];
        using var stream = File.OpenRead(file);
        stream.ReadExactly(prefix);
        return (long)BinaryPrimitives.ReadUInt64LittleEndian(prefix);
    }
}
