using System.Text;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>
/// A minimal GGUF v3 reader written from the spec, to check what GgufWriter lays down byte by byte (llama.cpp checks
/// the whole file, but says little about why it refuses one).
/// </summary>
internal sealed class GgufTestReader
{
    public required uint Version { get; init; }
    public required Dictionary<string, (uint Type, object Value)> Metadata { get; init; }
    public required List<TensorInfo> Tensors { get; init; }
    public required long DataStart { get; init; }
    public required byte[] Bytes { get; init; }

    public sealed record TensorInfo(string Name, ulong[] Dims, uint Type, ulong Offset);

    /// <summary>The raw bytes of <paramref name="name"/>'s data, <paramref name="length"/> long.</summary>
    public byte[] Data(string name, int length)
    {
        TensorInfo t = Tensors.Single(t => t.Name == name);
        return Bytes.AsSpan((int)(DataStart + (long)t.Offset), length).ToArray();
    }

    public static GgufTestReader Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        using var r = new BinaryReader(new MemoryStream(bytes));
        if (Encoding.ASCII.GetString(r.ReadBytes(4)) != "GGUF") throw new InvalidDataException("Not a GGUF file.");
        uint version = r.ReadUInt32();
        ulong tensorCount = r.ReadUInt64(), kvCount = r.ReadUInt64();
        var metadata = new Dictionary<string, (uint, object)>();
        for (ulong i = 0; i < kvCount; i++)
        {
            string key = ReadString(r);
            uint type = r.ReadUInt32();
            metadata.Add(key, (type, ReadValue(r, type)));
        }
        var tensors = new List<TensorInfo>();
        for (ulong i = 0; i < tensorCount; i++)
        {
            string name = ReadString(r);
            uint dims = r.ReadUInt32();
            ulong[] ne = Enumerable.Range(0, (int)dims).Select(_ => r.ReadUInt64()).ToArray();
            tensors.Add(new TensorInfo(name, ne, r.ReadUInt32(), r.ReadUInt64()));
        }
        uint alignment = metadata.TryGetValue("general.alignment", out var a) ? (uint)a.Item2 : 32;
        long dataStart = (r.BaseStream.Position + alignment - 1) / alignment * alignment;
        return new GgufTestReader { Version = version, Metadata = metadata, Tensors = tensors, DataStart = dataStart, Bytes = bytes };
    }

    private static string ReadString(BinaryReader r) => Encoding.UTF8.GetString(r.ReadBytes(checked((int)r.ReadUInt64())));

    private static object ReadValue(BinaryReader r, uint type) => type switch
    {
        0 => r.ReadByte(),
        1 => r.ReadSByte(),
        2 => r.ReadUInt16(),
        3 => r.ReadInt16(),
        4 => r.ReadUInt32(),
        5 => r.ReadInt32(),
        6 => r.ReadSingle(),
        7 => r.ReadByte() switch { 0 => false, 1 => true, var b => throw new InvalidDataException($"Bool byte {b}.") },
        8 => ReadString(r),
        9 => ReadArray(r),
        10 => r.ReadUInt64(),
        11 => r.ReadInt64(),
        12 => r.ReadDouble(),
        _ => throw new InvalidDataException($"Unknown GGUF value type {type}."),
    };

    private static (uint ElementType, object[] Items) ReadArray(BinaryReader r)
    {
        uint elementType = r.ReadUInt32();
        ulong count = r.ReadUInt64();
        var items = new object[count];
        for (ulong i = 0; i < count; i++) items[i] = ReadValue(r, elementType);
        return (elementType, items);
    }
}
