using System.Buffers.Binary;
using System.Text.Unicode;
using System.Text.Json;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>One tensor as a safetensors header describes it; offsets are relative to the data section.</summary>
internal sealed record SafetensorsEntry(string Key, string DType, ScalarType Type, long[] Shape, long Begin, long End);

/// <summary>
/// The validated header of a safetensors file: 8-byte little-endian header length, a JSON object mapping
/// keys to dtype/shape/data_offsets (plus optional <c>__metadata__</c>), then the raw data. Parsing checks
/// everything a reader would otherwise trust, so truncated or corrupt files fail here, naming the file.
/// </summary>
internal sealed class SafetensorsHeader
{
    public const string MetadataKey = "__metadata__";

    // Python's safetensors refuses headers above 100 MB; a larger length means a corrupt file.
    private const long MaxHeaderLength = 100_000_000;

    private SafetensorsHeader(IReadOnlyDictionary<string, SafetensorsEntry> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    public IReadOnlyDictionary<string, SafetensorsEntry> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafetensorsHeader Parse(ReadOnlySpan<byte> file, string path)
    {
        AdapterFormatException Corrupt(string message, string? key = null) => new(path, key, message);

        if (file.Length < 8)
            throw Corrupt($"the file is truncated ({file.Length} bytes); a safetensors file starts with an 8-byte header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderLength)
            throw Corrupt($"the header length {headerLength} is implausible; the file is corrupt or not a safetensors file.");
        if ((long)headerLength > file.Length - 8)
            throw Corrupt($"the file is truncated: the header needs {headerLength} bytes but only {file.Length - 8} follow the length field.");

        long dataStart = 8 + (long)headerLength;
        var headerBytes = file.Slice(8, (int)headerLength);
        if (!Utf8.IsValid(headerBytes))
            throw Corrupt("the header is not valid UTF-8: the file is corrupt or not a safetensors file.");
        var tensors = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(headerBytes.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw Corrupt("the header is not a JSON object.");
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey) ReadMetadata(property.Value, metadata, Corrupt);
                else tensors.Add(property.Name, ReadEntry(property.Name, property.Value, Corrupt));
            }
        }
        catch (JsonException e)
        {
            throw new AdapterFormatException(path, null,
                $"the header is not valid JSON (line {(e.LineNumber ?? 0) + 1}, position {(e.BytePositionInLine ?? 0) + 1}): the file is corrupt or not a safetensors file.", e);
        }
        catch (ArgumentException e)
        {
            throw Corrupt($"the header lists a key twice ({e.Message}).");
        }

        CheckDataLayout(tensors.Values, file.Length - dataStart, Corrupt);
        return new SafetensorsHeader(tensors, metadata);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, Func<string, string?, AdapterFormatException> corrupt)
    {
        if (value.ValueKind != JsonValueKind.Object) throw corrupt("must be an object of strings.", MetadataKey);
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String) throw corrupt("metadata values must be strings.", $"{MetadataKey}.{item.Name}");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static SafetensorsEntry ReadEntry(string key, JsonElement value, Func<string, string?, AdapterFormatException> corrupt)
    {
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw corrupt("the header entry needs 'dtype', 'shape' and two 'data_offsets'.", key);
        if (!SafetensorsDType.TryParse(dtype.GetString()!, out var type, out int size))
            throw corrupt($"unsupported dtype '{dtype.GetString()}'.", key);

        long[] dims = shape.EnumerateArray().Select(d => d.TryGetInt64(out long v) && v >= 0 ? v : -1).ToArray();
        if (dims.Any(d => d < 0)) throw corrupt("the shape must hold non-negative integers.", key);
        long begin = offsets[0].TryGetInt64(out long b) ? b : -1, end = offsets[1].TryGetInt64(out long e) ? e : -1;
        if (begin < 0 || end < begin) throw corrupt($"invalid data_offsets [{offsets[0]}, {offsets[1]}].", key);

        long expectedBytes;
        try
        {
            expectedBytes = checked(dims.Aggregate(1L, (n, d) => checked(n * d)) * size);
        }
        catch (OverflowException)
        {
            throw corrupt($"the shape {Shapes.Format(dims)} is too large.", key);
        }
        if (end - begin != expectedBytes)
            throw corrupt($"data_offsets span {end - begin} bytes but {dtype.GetString()} shape {Shapes.Format(dims)} needs {expectedBytes}.", key);
        return new SafetensorsEntry(key, dtype.GetString()!, type, dims, begin, end);
    }

    /// <summary>The tensors must tile the data section exactly, as the format requires: no gaps, overlaps or missing bytes.</summary>
    private static void CheckDataLayout(IEnumerable<SafetensorsEntry> entries, long dataLength, Func<string, string?, AdapterFormatException> corrupt)
    {
        long expected = 0;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin != expected)
                throw corrupt($"data_offsets start at {entry.Begin}, expected {expected} (tensors must be stored back to back).", entry.Key);
            expected = entry.End;
        }
        if (expected > dataLength)
            throw corrupt($"the file is truncated: the header describes {expected} bytes of tensor data but only {dataLength} are present.", null);
        if (expected < dataLength)
            throw corrupt($"the file has {dataLength - expected} bytes after the last tensor; it is corrupt.", null);
    }
}
