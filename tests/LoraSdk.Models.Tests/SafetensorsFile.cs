using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>
/// Writes a safetensors file the way Python's <c>safetensors.torch.save_file</c> lays it out (header length,
/// JSON header with <c>__metadata__</c>, tensors back to back), independent of LoraSdk's own writer, so
/// fixtures written here test the reader rather than agree with it by construction.
/// </summary>
internal static class SafetensorsFile
{
    public static void Write(string path, IEnumerable<(string Key, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = metadata ?? new Dictionary<string, string> { ["format"] = "pt" } };
        var data = new MemoryStream();
        foreach (var (key, tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            using var contiguous = tensor.detach().cpu().contiguous();
            byte[] bytes = contiguous.bytes.ToArray();
            header[key] = new Dictionary<string, object>
            {
                ["dtype"] = DTypeName(tensor.dtype),
                ["shape"] = tensor.shape,
                ["data_offsets"] = new[] { data.Length, data.Length + bytes.Length },
            };
            data.Write(bytes);
        }
        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int padding = (8 - json.Length % 8) % 8;
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)(json.Length + padding)));
        file.Write(json);
        file.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        data.Position = 0;
        data.CopyTo(file);
    }

    /// <summary>Every tensor of a file as float64 values with its shape and dtype name, decoded here byte by byte.</summary>
    public static Dictionary<string, (string DType, long[] Shape, double[] Values)> Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        long headerLength = (long)BitConverter.ToUInt64(file, 0);
        using var header = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        var result = new Dictionary<string, (string, long[], double[])>(StringComparer.Ordinal);
        foreach (var entry in header.RootElement.EnumerateObject().Where(e => e.Name != "__metadata__"))
        {
            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            long[] shape = [.. entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())];
            long begin = entry.Value.GetProperty("data_offsets")[0].GetInt64();
            var data = file.AsSpan((int)(8 + headerLength + begin));
            int count = (int)shape.Aggregate(1L, (a, b) => a * b);
            var values = new double[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = dtype switch
                {
                    "F16" => (double)BitConverter.ToHalf(data[(2 * i)..]),
                    "BF16" => BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(data[(2 * i)..]) << 16),
                    "F32" => BitConverter.ToSingle(data[(4 * i)..]),
                    _ => throw new NotSupportedException(dtype),
                };
            }
            result[entry.Name] = (dtype, shape, values);
        }
        return result;
    }

    private static string DTypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float64 => "F64",
        ScalarType.Int8 => "I8",
        _ => throw new NotSupportedException(type.ToString()),
    };
}
