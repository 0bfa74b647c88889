using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>The safetensors dtype names LoraSdk reads and writes, with their TorchSharp types and element sizes.</summary>
internal static class SafetensorsDType
{
    private static readonly (string Name, ScalarType Type, int Size)[] Table =
    [
        ("F64", ScalarType.Float64, 8),
        ("F32", ScalarType.Float32, 4),
        ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2),
        ("I64", ScalarType.Int64, 8),
        ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2),
        ("I8", ScalarType.Int8, 1),
        ("U8", ScalarType.Byte, 1),
        ("BOOL", ScalarType.Bool, 1),
    ];

    /// <summary>The safetensors name and element size of <paramref name="type"/>; throws for types the format cannot hold here.</summary>
    public static (string Name, int Size) Of(ScalarType type, string key)
    {
        foreach (var entry in Table)
            if (entry.Type == type) return (entry.Name, entry.Size);
        throw new NotSupportedException($"Tensor '{key}' has dtype {type}, which LoraSdk cannot store in safetensors.");
    }

    public static bool TryParse(string name, out ScalarType type, out int size)
    {
        foreach (var entry in Table)
        {
            if (entry.Name != name) continue;
            (type, size) = (entry.Type, entry.Size);
            return true;
        }
        (type, size) = (default, 0);
        return false;
    }

    public static bool IsFloatingPoint(ScalarType type) =>
        type is ScalarType.Float64 or ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16;
}
