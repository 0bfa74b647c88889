using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Writes a safetensors file. TorchSharp.PyBridge's writer (1.4.4) cannot write <c>__metadata__</c> (PEFT
/// and transformers write <c>{"format":"pt"}</c>), does not pad the header to 8 bytes as Python's writer does,
/// and rejects non-contiguous tensors, so the file is written here; reading still goes through PyBridge.
/// </summary>
internal static class SafetensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> (in key order) as contiguous CPU copies in their own dtype. Every
    /// dtype is checked before the first byte is written.
    /// </summary>
    public static void Write(string path, IReadOnlyList<(string Key, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var ordered = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var header = BuildHeader(ordered, metadata);

        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var (_, tensor) in ordered)
        {
            using var scope = NewDisposeScope();
            var cpu = tensor.detach().cpu().contiguous();
            cpu.WriteBytesToStream(stream);
        }
        stream.Flush(flushToDisk: true);
    }

    private static byte[] BuildHeader(IReadOnlyList<(string Key, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject(SafetensorsHeader.MetadataKey);
            foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal)) json.WriteString(key, value);
            json.WriteEndObject();

            long offset = 0;
            foreach (var (key, tensor) in tensors)
            {
                var (name, size) = SafetensorsDType.Of(tensor.dtype, key);
                long bytes = tensor.numel() * size;
                json.WriteStartObject(key);
                json.WriteString("dtype", name);
                json.WriteStartArray("shape");
                foreach (long dim in tensor.shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }

        // Pad with spaces so the data section starts 8-byte aligned, as Python's safetensors does.
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
