using System.Buffers.Binary;
using System.Text.Json;

namespace LoraSdk.Models;

/// <summary>
/// Checks a safetensors file's framing before any tensor is read: an 8-byte little-endian header length,
/// a JSON header, and data offsets that all lie inside the file. A wrong or truncated file fails here with
/// a message that names the problem (and the tensor, if one reaches past the end).
/// </summary>
internal static class SafetensorsHeader
{
    public static void Validate(string path)
    {
        long fileLength = new FileInfo(path).Length;
        using var stream = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        if (fileLength < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw new WeightImportException(path, $"not a safetensors file: it has {fileLength} bytes, fewer than the 8-byte header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(fileLength - 8))
            throw new WeightImportException(path, $"not a safetensors file (or truncated): its header length {headerLength} exceeds the {fileLength - 8} bytes after it.");

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataLength = fileLength - 8 - (long)headerLength;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new WeightImportException(path, $"not a safetensors file: its header is not JSON ({e.Message}).", e);
        }
        using (document)
        {
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__") continue;
                if (!entry.Value.TryGetProperty("data_offsets", out var offsets) || offsets.GetArrayLength() != 2)
                    throw new WeightImportException(path, $"tensor '{entry.Name}' has no data_offsets in the header.");
                long end = offsets[1].GetInt64();
                if (end > dataLength)
                    throw new WeightImportException(path, $"truncated: tensor '{entry.Name}' ends at data byte {end}, but the file holds only {dataLength} data bytes.");
            }
        }
    }
}
