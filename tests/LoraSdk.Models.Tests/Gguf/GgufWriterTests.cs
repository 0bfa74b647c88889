using System.Runtime.InteropServices;
using LoraSdk.Models.Gguf;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>The GGUF v3 layout GgufWriter produces, read back by a reader written from the spec, and its encodings against ggml's own.</summary>
public sealed class GgufWriterTests
{
    [Fact]
    public void Every_metadata_type_reads_back_with_its_type_and_value()
    {
        using var dir = new TempDirectory();
        string path = dir.File("kv.gguf");
        new GgufWriter()
            .Add("u8", GgufValue.UInt8(250)).Add("i8", GgufValue.Int8(-5)).Add("u16", GgufValue.UInt16(65000)).Add("i16", GgufValue.Int16(-300))
            .Add("u32", GgufValue.UInt32(4_000_000_000)).Add("i32", GgufValue.Int32(-7)).Add("f32", GgufValue.Float32(1.5f))
            .Add("bool", GgufValue.Bool(true)).Add("str", GgufValue.String("héllo")).Add("u64", GgufValue.UInt64(ulong.MaxValue))
            .Add("i64", GgufValue.Int64(long.MinValue)).Add("f64", GgufValue.Float64(Math.PI))
            .Add("tokens", GgufValue.Array(new[] { "a", "", "Ġb" })).Add("types", GgufValue.Array(new[] { 1, 3, 6 }))
            .Add("scores", GgufValue.Array(new[] { 0.5f, -1f })).Add("nested", GgufValue.Array(new[] { GgufValue.Array(new[] { 1u }), GgufValue.Array(new[] { "x" }) }))
            .Write(path);

        GgufTestReader file = GgufTestReader.Read(path);
        Assert.Equal(3u, file.Version);
        Assert.Empty(file.Tensors);
        Assert.Equal(new[] { "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "u64", "i64", "f64", "tokens", "types", "scores", "nested" }, file.Metadata.Keys);
        Assert.Equal((0u, (object)(byte)250), file.Metadata["u8"]);
        Assert.Equal((1u, (object)(sbyte)-5), file.Metadata["i8"]);
        Assert.Equal((2u, (object)(ushort)65000), file.Metadata["u16"]);
        Assert.Equal((3u, (object)(short)-300), file.Metadata["i16"]);
        Assert.Equal((4u, (object)4_000_000_000u), file.Metadata["u32"]);
        Assert.Equal((5u, (object)-7), file.Metadata["i32"]);
        Assert.Equal((6u, (object)1.5f), file.Metadata["f32"]);
        Assert.Equal((7u, (object)true), file.Metadata["bool"]);
        Assert.Equal((8u, (object)"héllo"), file.Metadata["str"]);
        Assert.Equal((10u, (object)ulong.MaxValue), file.Metadata["u64"]);
        Assert.Equal((11u, (object)long.MinValue), file.Metadata["i64"]);
        Assert.Equal((12u, (object)Math.PI), file.Metadata["f64"]);
        var tokens = ((uint, object[]))file.Metadata["tokens"].Value;
        Assert.Equal(8u, tokens.Item1);
        Assert.Equal(new object[] { "a", "", "Ġb" }, tokens.Item2);
        var types = ((uint, object[]))file.Metadata["types"].Value;
        Assert.Equal(5u, types.Item1);
        Assert.Equal(new object[] { 1, 3, 6 }, types.Item2);
        var nested = ((uint, object[]))file.Metadata["nested"].Value;
        Assert.Equal(9u, nested.Item1);
        var inner = ((uint, object[]))nested.Item2[1];
        Assert.Equal(8u, inner.Item1);
        Assert.Equal(new object[] { "x" }, inner.Item2);
    }

    [Theory]
    [InlineData(32u)]
    [InlineData(64u)]
    public void Tensors_are_aligned_with_reversed_dims_and_exact_f32_bytes(uint alignment)
    {
        using var dir = new TempDirectory();
        string path = dir.File("t.gguf");
        using var a = arange(6 * 5, dtype: float32).reshape(6, 5);
        using var b = tensor(new[] { 1.25f, -2f, 3f });
        using var c = arange(2 * 3 * 4, dtype: float64).reshape(2, 3, 4); // float64 is stored as float32
        new GgufWriter(alignment).Add("general.architecture", GgufValue.String("test"))
            .AddTensor("a", a, GgufTensorType.F32).AddTensor("b", b, GgufTensorType.F32).AddTensor("c", c, GgufTensorType.F32)
            .Write(path);

        GgufTestReader file = GgufTestReader.Read(path);
        Assert.Equal(alignment == 32 ? null : (object)alignment, file.Metadata.TryGetValue("general.alignment", out var al) ? al.Value : null);
        Assert.Equal(0, file.DataStart % alignment);
        Assert.Equal(new[] { "a", "b", "c" }, file.Tensors.Select(t => t.Name));
        Assert.Equal(new ulong[] { 5, 6 }, file.Tensors[0].Dims);
        Assert.Equal(new ulong[] { 3 }, file.Tensors[1].Dims);
        Assert.Equal(new ulong[] { 4, 3, 2 }, file.Tensors[2].Dims);
        Assert.All(file.Tensors, t => Assert.Equal(0ul, t.Offset % alignment));
        Assert.All(file.Tensors, t => Assert.Equal((uint)GgufTensorType.F32, t.Type));
        Assert.Equal(MemoryMarshal.AsBytes(a.data<float>().ToArray().AsSpan()).ToArray(), file.Data("a", 30 * 4));
        Assert.Equal(MemoryMarshal.AsBytes(new[] { 1.25f, -2f, 3f }.AsSpan()).ToArray(), file.Data("b", 12));
        Assert.Equal(MemoryMarshal.AsBytes(Enumerable.Range(0, 24).Select(i => (float)i).ToArray().AsSpan()).ToArray(), file.Data("c", 96));
        Assert.Equal(0, (file.Bytes.Length - file.DataStart) % alignment);
    }

    [Fact]
    public void Q8_0_and_F16_bytes_are_ggml_s_own()
    {
        // Rows of 64: random blocks, a zero block, a block of exact multiples of its scale (ties at .5), a tiny block.
        var random = new Random(3);
        float[] values = Enumerable.Range(0, 4 * 64).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        Array.Clear(values, 64, 32);
        // Scale exactly 1/16 (max 127/16): x / d = k + 0.5, ties that ggml rounds away from zero.
        values[96] = 127f / 16f;
        for (int j = 1; j < 32; j++) values[96 + j] = (j - 16 + 0.5f) / 16f;
        for (int j = 0; j < 32; j++) values[128 + j] = (j - 16) * 1e-6f;
        using var t = tensor(values).reshape(4, 64);
        using var dir = new TempDirectory();
        string path = dir.File("q.gguf");
        new GgufWriter().AddTensor("q", t, GgufTensorType.Q8_0).AddTensor("h", t, GgufTensorType.F16).Write(path);

        GgufTestReader file = GgufTestReader.Read(path);
        int q8Bytes = 4 * 64 / 32 * 34;
        Assert.Equal((uint)GgufTensorType.Q8_0, file.Tensors[0].Type);
        Assert.Equal(GgmlNative.Quantize((uint)GgufTensorType.Q8_0, values, 4, 64, q8Bytes), file.Data("q", q8Bytes));
        Assert.Equal(GgmlNative.ToF16(values), file.Data("h", values.Length * 2));
    }

    [Fact]
    public void A_failed_write_leaves_the_existing_file_and_no_temporary_file()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.gguf");
        using var good = ones(4, 32);
        new GgufWriter().AddTensor("w", good, GgufTensorType.F32).Write(path);
        byte[] before = File.ReadAllBytes(path);

        using var bad = ones(4, 32);
        bad[2, 5] = tensor(float.NaN);
        var writer = new GgufWriter().AddTensor("w", good, GgufTensorType.F32).AddTensor("bad", bad, GgufTensorType.F16);
        var error = Assert.Throws<InvalidDataException>(() => writer.Write(path));
        Assert.Contains("'bad'", error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Invalid_additions_are_refused_with_the_name()
    {
        using var w = ones(3, 48);
        var writer = new GgufWriter().Add("k", GgufValue.UInt32(1)).AddTensor("t", w, GgufTensorType.F32);
        Assert.Contains("'k'", Assert.Throws<ArgumentException>(() => writer.Add("k", GgufValue.UInt32(2))).Message);
        Assert.Contains("'t'", Assert.Throws<ArgumentException>(() => writer.AddTensor("t", w, GgufTensorType.F32)).Message);
        Assert.Contains("multiple of 32", Assert.Throws<ArgumentException>(() => writer.AddTensor("q", w, GgufTensorType.Q8_0)).Message);
        Assert.Throws<ArgumentException>(() => writer.AddTensor(new string('x', 64), w, GgufTensorType.F32));
        Assert.Throws<ArgumentException>(() => writer.Add("general.alignment", GgufValue.UInt32(64)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GgufWriter(48));
        using var ints = ones(4, dtype: int64);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("i", ints, GgufTensorType.F32));
        // A refused tensor does not take its name.
        writer.AddTensor("q", ones(3, 64), GgufTensorType.Q8_0);
    }
}
