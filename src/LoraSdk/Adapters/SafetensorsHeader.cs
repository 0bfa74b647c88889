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
/// The one reader of the format: adapter files (<see cref="AdapterLoader"/>) and LoraSdk.Models' checkpoint
/// import use it, each with its own exception type.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>Makes the caller's exception for a problem: the key at fault (or null), the message, the cause.</summary>
    public delegate Exception Failure(string? key, string message, Exception? inner);

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

    /// <summary>Parses the header of a whole file held in memory; problems are <see cref="AdapterFormatException"/>s.</summary>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> file, string path) =>
        Parse(file, file.Length, (key, message, inner) => new AdapterFormatException(path, key, message, inner));

    /// <summary>Reads and checks only the header of the file at <paramref name="path"/> (checkpoints can be large).</summary>
    public static SafetensorsHeader Read(string path, Failure fail)
    {
        using var stream = File.OpenRead(path);
        long fileLength = stream.Length;
        var prefix = new byte[8];
        int read = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (read < 8) return Parse(prefix.AsSpan(0, read), fileLength, fail);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength || (long)headerLength > fileLength - 8) return Parse(prefix, fileLength, fail);
        var start = new byte[8 + (int)headerLength];
        prefix.CopyTo(start, 0);
        stream.ReadExactly(start, 8, (int)headerLength);
        return Parse(start, fileLength, fail);
    }

    /// <summary>Parses a header from <paramref name="start"/>, the file's first bytes (at least the length field and the header).</summary>
    private static SafetensorsHeader Parse(ReadOnlySpan<byte> start, long fileLength, Failure fail)
    {
        Exception Corrupt(string message, string? key = null) => fail(key, message, null);

        if (fileLength < 8)
            throw Corrupt($"the file is truncated ({fileLength} bytes); a safetensors file starts with an 8-byte header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(start);
        if (headerLength > MaxHeaderLength)
            throw Corrupt($"the header length {headerLength} is implausible; the file is corrupt or not a safetensors file.");
        if ((long)headerLength > fileLength - 8)
            throw Corrupt($"the file is truncated: the header needs {headerLength} bytes but only {fileLength - 8} follow the length field.");

        long dataStart = 8 + (long)headerLength;
        var headerBytes = start.Slice(8, (int)headerLength);
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
            throw fail(null,
                $"the header is not valid JSON (line {(e.LineNumber ?? 0) + 1}, position {(e.BytePositionInLine ?? 0) + 1}): the file is corrupt or not a safetensors file.", e);
        }
        catch (ArgumentException e)
        {
            throw Corrupt($"the header lists a key twice ({e.Message}).");
        }

        CheckDataLayout(tensors.Values, fileLength - dataStart, Corrupt);
        return new SafetensorsHeader(tensors, metadata);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, Func<string, string?, Exception> corrupt)
    {
        if (value.ValueKind != JsonValueKind.Object) throw corrupt("must be an object of strings.", MetadataKey);
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String) throw corrupt("metadata values must be strings.", $"{MetadataKey}.{item.Name}");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static SafetensorsEntry ReadEntry(string key, JsonElement value, Func<string, string?, Exception> corrupt)
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
    private static void CheckDataLayout(IEnumerable<SafetensorsEntry> entries, long dataLength, Func<string, string?, Exception> corrupt)
    {
        long expected = 0;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin != expected)
                throw corrupt($"data_offsets start at {entry.Begin}, expected {expected} (tensors must be stored back to back).", entry.Key);
            expected = entry.End;
        }
        if (expected > dataLength)
        {
            var cut = entries.Where(e => e.End > dataLength).MinBy(e => e.Begin)!;
            throw corrupt($"the file is truncated: tensor '{cut.Key}' ends at data byte {cut.End}, but the file holds only {dataLength} data bytes.", null);
        }
        if (expected < dataLength)
            throw corrupt($"the file has {dataLength - expected} bytes after the last tensor; it is corrupt.", null);
    }
}
