using System.Runtime.InteropServices;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>
/// ggml's own row converters (from the libggml-base LLamaSharp.Backend.Cpu ships), so the bytes GgufWriter encodes
/// can be compared with what ggml itself produces for the same floats.
/// </summary>
internal static class GgmlNative
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate nuint QuantizeChunk(uint type, float[] src, byte[] dst, long start, long rows, long perRow, IntPtr importance);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void Fp32ToFp16Row(float[] src, ushort[] dst, long count);

    private static readonly Lazy<IntPtr> Library = new(() =>
    {
        // The base library is the same code in every CPU variant (the ISA-specific kernels live in libggml-cpu), so
        // any copy the backend package put under runtimes/<rid>/native/ will do.
        string name = OperatingSystem.IsWindows() ? "ggml-base.dll" : OperatingSystem.IsMacOS() ? "libggml-base.dylib" : "libggml-base.so";
        string runtimes = Path.Combine(AppContext.BaseDirectory, "runtimes");
        string path = Directory.Exists(runtimes) ? Directory.EnumerateFiles(runtimes, name, SearchOption.AllDirectories).Order().FirstOrDefault() ?? "" : "";
        if (path == "") throw new FileNotFoundException($"No {name} under {runtimes}: LLamaSharp.Backend.Cpu copies it there on build.");
        return NativeLibrary.Load(path);
    });

    /// <summary><c>ggml_quantize_chunk</c>: quantizes <paramref name="rows"/> rows of <paramref name="perRow"/> floats.</summary>
    public static byte[] Quantize(uint ggmlType, float[] values, long rows, long perRow, int bytes)
    {
        var quantize = Marshal.GetDelegateForFunctionPointer<QuantizeChunk>(NativeLibrary.GetExport(Library.Value, "ggml_quantize_chunk"));
        var result = new byte[bytes];
        nuint written = quantize(ggmlType, values, result, 0, rows, perRow, IntPtr.Zero);
        if ((int)written != bytes) throw new InvalidOperationException($"ggml_quantize_chunk wrote {written} bytes, expected {bytes}.");
        return result;
    }

    /// <summary><c>ggml_fp32_to_fp16_row</c>.</summary>
    public static byte[] ToF16(float[] values)
    {
        var convert = Marshal.GetDelegateForFunctionPointer<Fp32ToFp16Row>(NativeLibrary.GetExport(Library.Value, "ggml_fp32_to_fp16_row"));
        var result = new ushort[values.Length];
        convert(values, result, values.Length);
        return MemoryMarshal.AsBytes(result.AsSpan()).ToArray();
    }
}
