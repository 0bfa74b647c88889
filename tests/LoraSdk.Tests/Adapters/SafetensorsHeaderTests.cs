using System.Buffers.Binary;
using System.Text;

namespace LoraSdk.Tests.Adapters;

/// <summary>Header validation on hand-made files: each corruption is reported with the file name and, where one is at fault, the key.</summary>
public class SafetensorsHeaderTests
{
    private const string Path = "dir/adapter_model.safetensors";

    private static byte[] File(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        return file;
    }

    private static AdapterFormatException Fails(string header, int dataBytes)
    {
        var error = Assert.Throws<AdapterFormatException>(() => SafetensorsHeader.Parse(File(header, dataBytes), Path));
        Assert.Equal(Path, error.FilePath);
        Assert.StartsWith(Path, error.Message);
        return error;
    }

    [Fact]
    public void AValidHeaderIsRead()
    {
        var header = SafetensorsHeader.Parse(File("""
            {"__metadata__":{"format":"pt"},"b":{"dtype":"F16","shape":[3],"data_offsets":[8,14]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}
            """, 14), Path);
        Assert.Equal("pt", header.Metadata["format"]);
        Assert.Equal([3L], header.Tensors["b"].Shape);
        Assert.Equal(ScalarTypeOf("F16"), header.Tensors["b"].Type);
        Assert.Equal((8L, 14L), (header.Tensors["b"].Begin, header.Tensors["b"].End));
    }

    private static TorchSharp.torch.ScalarType ScalarTypeOf(string name) =>
        SafetensorsDType.TryParse(name, out var type, out _) ? type : throw new ArgumentException(name);

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 16, null, "twice")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "a", "expected 0")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "b", "expected 8")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "a", "needs 12")]
    [InlineData("""{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}""", 8, "a", "unsupported dtype 'Q4'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8, "a", "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2]}}""", 8, "a", "data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":[9000000000000000000,9000000000000000000],"data_offsets":[0,8]}}""", 8, "a", "too large")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 10, null, "2 bytes after the last tensor")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 5, null, "truncated")]
    [InlineData("""{"__metadata__":{"format":1}}""", 0, "__metadata__.format", "strings")]
    [InlineData("""[1,2]""", 0, null, "not a JSON object")]
    public void CorruptHeadersAreNamed(string header, int dataBytes, string? key, string fragment)
    {
        var error = Fails(header, dataBytes);
        Assert.Equal(key, error.Key);
        Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void AnImplausibleHeaderLengthIsCorruption()
    {
        var file = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue);
        var error = Assert.Throws<AdapterFormatException>(() => SafetensorsHeader.Parse(file, Path));
        Assert.Contains("implausible", error.Message);
    }
}
