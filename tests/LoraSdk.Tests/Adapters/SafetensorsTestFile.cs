using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraSdk.Tests.Adapters;

/// <summary>
/// An independent reader and writer of the safetensors layout, written from the format description
/// (u64 little-endian header length, JSON header, raw little-endian data) without any LoraSdk code.
/// </summary>
internal sealed class SafetensorsTestFile
{
    public sealed record Entry(string DType, long[] Shape, long Begin, long End);

    public required long HeaderLength { get; init; }
    public required JsonObject Header { get; init; }
    public required byte[] Data { get; init; }

    public Dictionary<string, Entry> Entries => Header
        .Where(p => p.Key != "__metadata__")
        .ToDictionary(p => p.Key, p => new Entry(
            p.Value!["dtype"]!.GetValue<string>(),
            p.Value["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray(),
            p.Value["data_offsets"]![0]!.GetValue<long>(),
            p.Value["data_offsets"]![1]!.GetValue<long>()));

    public float[] Floats(string key)
    {
        var entry = Entries[key];
        Assert.Equal("F32", entry.DType);
        var bytes = Data.AsSpan((int)entry.Begin, (int)(entry.End - entry.Begin));
        var result = new float[bytes.Length / 4];
        for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        return result;
    }

    public static SafetensorsTestFile Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(file, 8, (int)headerLength))!.AsObject();
        return new SafetensorsTestFile { HeaderLength = headerLength, Header = header, Data = file[(8 + (int)headerLength)..] };
    }

    /// <summary>Writes F32 tensors the way Python's safetensors does: metadata first, header space-padded to 8 bytes.</summary>
    public static byte[] WriteF32(IEnumerable<(string Key, long[] Shape, float[] Values)> tensors, string? metadataJson = "{\"format\":\"pt\"}")
    {
        var header = new StringBuilder("{");
        if (metadataJson is not null) header.Append("\"__metadata__\":").Append(metadataJson);
        var data = new List<byte>();
        foreach (var (key, shape, values) in tensors)
        {
            if (header.Length > 1) header.Append(',');
            long begin = data.Count;
            foreach (var v in values)
            {
                var buffer = new byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(buffer, v);
                data.AddRange(buffer);
            }
            header.Append(JsonSerializer.Serialize(key))
                .Append($":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{data.Count}]}}");
        }
        header.Append('}');
        while ((header.Length) % 8 != 0) header.Append(' ');
        var headerBytes = Encoding.UTF8.GetBytes(header.ToString());
        var file = new byte[8 + headerBytes.Length + data.Count];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)headerBytes.Length);
        headerBytes.CopyTo(file, 8);
        data.CopyTo(file, 8 + headerBytes.Length);
        return file;
    }
}
