using System.Runtime.InteropServices;

namespace LoraSdk.Models.Gguf;

/// <summary>Encodes float32 rows into a GGUF tensor type's bytes, as ggml stores them.</summary>
internal static class GgufTensorEncoder
{
    /// <summary>Values per Q8_0 block (ggml's <c>QK8_0</c>).</summary>
    internal const int Q8BlockSize = 32;

    /// <summary>Bytes per Q8_0 block: an F16 scale and 32 signed bytes.</summary>
    internal const int Q8BlockBytes = 2 + Q8BlockSize;

    /// <summary>Bytes that <paramref name="elements"/> values take in <paramref name="type"/>.</summary>
    internal static long ByteSize(GgufTensorType type, long elements) => type switch
    {
        GgufTensorType.F32 => elements * 4,
        GgufTensorType.F16 => elements * 2,
        GgufTensorType.Q8_0 => elements / Q8BlockSize * Q8BlockBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported GGUF tensor type."),
    };

    /// <summary>Writes <paramref name="values"/> (row-major, rows of the tensor's first GGUF dimension) in <paramref name="type"/>.</summary>
    internal static void Write(BinaryWriter writer, ReadOnlySpan<float> values, GgufTensorType type)
    {
        switch (type)
        {
            case GgufTensorType.F32:
                writer.Write(MemoryMarshal.AsBytes(values));
                break;
            case GgufTensorType.F16:
                var halves = new Half[values.Length];
                for (int i = 0; i < values.Length; i++) halves[i] = (Half)values[i]; // round to nearest even, as ggml's fp32->fp16
                writer.Write(MemoryMarshal.AsBytes(halves.AsSpan()));
                break;
            case GgufTensorType.Q8_0:
                Span<byte> block = stackalloc byte[Q8BlockBytes];
                for (int start = 0; start < values.Length; start += Q8BlockSize)
                {
                    QuantizeQ8Block(values.Slice(start, Q8BlockSize), block);
                    writer.Write(block);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported GGUF tensor type.");
        }
    }

    /// <summary>
    /// One Q8_0 block as ggml's reference quantizer makes it: <c>d = max|x| / 127</c> (a float, stored as F16),
    /// <c>q = round(x · (1/d))</c> with halves away from zero, all zeros when the block is zero.
    /// </summary>
    internal static void QuantizeQ8Block(ReadOnlySpan<float> x, Span<byte> block)
    {
        float amax = 0;
        foreach (float v in x)
        {
            if (!float.IsFinite(v)) throw new ArgumentException("Cannot quantize a non-finite value to Q8_0.");
            amax = MathF.Max(amax, MathF.Abs(v));
        }
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        BitConverter.TryWriteBytes(block, (Half)d);
        for (int j = 0; j < Q8BlockSize; j++)
            block[2 + j] = unchecked((byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero));
    }
}
