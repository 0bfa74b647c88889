using System.Text;

namespace LoraSdk.Models.Gguf;

/// <summary>
/// One typed GGUF metadata value. Made through the factory methods, one per GGUF type, so a value always carries the
/// exact type llama.cpp reads back (llama.cpp refuses a key of the wrong type, e.g. an int32 where it reads uint32).
/// </summary>
public sealed class GgufValue
{
    private readonly Action<BinaryWriter> _writePayload;

    private GgufValue(GgufValueType type, GgufValueType? elementType, long count, Action<BinaryWriter> writePayload)
    {
        Type = type;
        ElementType = elementType;
        Count = count;
        _writePayload = writePayload;
    }

    /// <summary>The value's type tag.</summary>
    public GgufValueType Type { get; }

    /// <summary>For an array, its elements' type; otherwise null.</summary>
    public GgufValueType? ElementType { get; }

    /// <summary>For an array, its length; otherwise 1.</summary>
    public long Count { get; }

    /// <summary>An unsigned 8-bit value.</summary>
    public static GgufValue UInt8(byte value) => Scalar(GgufValueType.UInt8, w => w.Write(value));
    /// <summary>A signed 8-bit value.</summary>
    public static GgufValue Int8(sbyte value) => Scalar(GgufValueType.Int8, w => w.Write(value));
    /// <summary>An unsigned 16-bit value.</summary>
    public static GgufValue UInt16(ushort value) => Scalar(GgufValueType.UInt16, w => w.Write(value));
    /// <summary>A signed 16-bit value.</summary>
    public static GgufValue Int16(short value) => Scalar(GgufValueType.Int16, w => w.Write(value));
    /// <summary>An unsigned 32-bit value.</summary>
    public static GgufValue UInt32(uint value) => Scalar(GgufValueType.UInt32, w => w.Write(value));
    /// <summary>A signed 32-bit value.</summary>
    public static GgufValue Int32(int value) => Scalar(GgufValueType.Int32, w => w.Write(value));
    /// <summary>An unsigned 64-bit value.</summary>
    public static GgufValue UInt64(ulong value) => Scalar(GgufValueType.UInt64, w => w.Write(value));
    /// <summary>A signed 64-bit value.</summary>
    public static GgufValue Int64(long value) => Scalar(GgufValueType.Int64, w => w.Write(value));
    /// <summary>A 32-bit float.</summary>
    public static GgufValue Float32(float value) => Scalar(GgufValueType.Float32, w => w.Write(value));
    /// <summary>A 64-bit float.</summary>
    public static GgufValue Float64(double value) => Scalar(GgufValueType.Float64, w => w.Write(value));
    /// <summary>A boolean (one byte).</summary>
    public static GgufValue Bool(bool value) => Scalar(GgufValueType.Bool, w => w.Write((byte)(value ? 1 : 0)));

    /// <summary>A UTF-8 string.</summary>
    public static GgufValue String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Scalar(GgufValueType.String, w => WriteString(w, value));
    }

    /// <summary>An array of strings (e.g. <c>tokenizer.ggml.tokens</c>).</summary>
    public static GgufValue Array(IReadOnlyList<string> values) =>
        ArrayOf(GgufValueType.String, values, (w, v) => WriteString(w, v ?? throw new ArgumentException("A string array holds a null element.", nameof(values))));
    /// <summary>An array of 32-bit floats.</summary>
    public static GgufValue Array(IReadOnlyList<float> values) => ArrayOf(GgufValueType.Float32, values, (w, v) => w.Write(v));
    /// <summary>An array of 64-bit floats.</summary>
    public static GgufValue Array(IReadOnlyList<double> values) => ArrayOf(GgufValueType.Float64, values, (w, v) => w.Write(v));
    /// <summary>An array of signed 32-bit integers (e.g. <c>tokenizer.ggml.token_type</c>).</summary>
    public static GgufValue Array(IReadOnlyList<int> values) => ArrayOf(GgufValueType.Int32, values, (w, v) => w.Write(v));
    /// <summary>An array of unsigned 32-bit integers.</summary>
    public static GgufValue Array(IReadOnlyList<uint> values) => ArrayOf(GgufValueType.UInt32, values, (w, v) => w.Write(v));
    /// <summary>An array of signed 64-bit integers.</summary>
    public static GgufValue Array(IReadOnlyList<long> values) => ArrayOf(GgufValueType.Int64, values, (w, v) => w.Write(v));
    /// <summary>An array of unsigned 64-bit integers.</summary>
    public static GgufValue Array(IReadOnlyList<ulong> values) => ArrayOf(GgufValueType.UInt64, values, (w, v) => w.Write(v));
    /// <summary>An array of signed 16-bit integers.</summary>
    public static GgufValue Array(IReadOnlyList<short> values) => ArrayOf(GgufValueType.Int16, values, (w, v) => w.Write(v));
    /// <summary>An array of unsigned 16-bit integers.</summary>
    public static GgufValue Array(IReadOnlyList<ushort> values) => ArrayOf(GgufValueType.UInt16, values, (w, v) => w.Write(v));
    /// <summary>An array of signed bytes.</summary>
    public static GgufValue Array(IReadOnlyList<sbyte> values) => ArrayOf(GgufValueType.Int8, values, (w, v) => w.Write(v));
    /// <summary>An array of unsigned bytes.</summary>
    public static GgufValue Array(IReadOnlyList<byte> values) => ArrayOf(GgufValueType.UInt8, values, (w, v) => w.Write(v));
    /// <summary>An array of booleans.</summary>
    public static GgufValue Array(IReadOnlyList<bool> values) => ArrayOf(GgufValueType.Bool, values, (w, v) => w.Write((byte)(v ? 1 : 0)));

    /// <summary>
    /// An array of arrays (GGUF allows nesting). Every element must be an array; their element types may differ, as
    /// each inner array carries its own.
    /// </summary>
    public static GgufValue Array(IReadOnlyList<GgufValue> arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        for (int i = 0; i < arrays.Count; i++)
            if (arrays[i] is null || arrays[i].Type != GgufValueType.Array)
                throw new ArgumentException($"Element {i} of a nested GGUF array is not an array: GGUF arrays hold one element type.", nameof(arrays));
        return ArrayOf(GgufValueType.Array, arrays, (w, v) => v.WritePayload(w));
    }

    /// <summary>Writes the value without its type tag (the caller writes the tag).</summary>
    internal void WritePayload(BinaryWriter writer) => _writePayload(writer);

    /// <summary>A GGUF string: 64-bit byte count, then UTF-8 bytes (no terminator).</summary>
    internal static void WriteString(BinaryWriter writer, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static GgufValue Scalar(GgufValueType type, Action<BinaryWriter> write) => new(type, null, 1, write);

    private static GgufValue ArrayOf<T>(GgufValueType elementType, IReadOnlyList<T> values, Action<BinaryWriter, T> writeElement)
    {
        ArgumentNullException.ThrowIfNull(values);
        T[] copy = values.ToArray(); // later changes to the caller's list must not change what is written
        return new GgufValue(GgufValueType.Array, elementType, copy.Length, w =>
        {
            w.Write((uint)elementType);
            w.Write((ulong)copy.Length);
            foreach (T v in copy) writeElement(w, v);
        });
    }
}
