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

    private static string DTypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float64 => "F64",
        _ => throw new NotSupportedException(type.ToString()),
    };
}
