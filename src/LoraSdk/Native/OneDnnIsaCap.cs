using System.Runtime.InteropServices;

namespace LoraSdk.Native;

/// <summary>
/// Caps the instruction set of libtorch's oneDNN kernels at AVX2 on AMD processors with AVX-512
/// (<c>ONEDNN_MAX_CPU_ISA=AVX2</c>), unless the variable is already set. Measured on an AMD EPYC with AVX-512
/// (Zen 5 flags: avx512_bf16, avx512_vp2intersect) with libtorch 2.10 from TorchSharp-cpu 0.107: the first backward
/// through ResNet-18 returned NaN gradients in 3 of 12 runs on 1 thread and 8 of 12 on 2 threads with oneDNN's
/// AVX-512 kernels (8 of 12 with <c>AVX512_CORE</c>, so not the BF16 extensions), 0 of 12 capped at AVX2; the same
/// input gives finite, identical gradients on every later step (docs/numerics.md). float32 results are otherwise
/// the same; the cap only picks other kernels. oneDNN reads the variable once, when it first runs a kernel, so this
/// must run before the process's first convolution: LoRA convolution adapters and LoraSdk.Models' ResNet apply it
/// when their first instance is created. Set <c>ONEDNN_MAX_CPU_ISA</c> yourself (e.g. <c>ALL</c>) to choose otherwise.
/// </summary>
public static class OneDnnIsaCap
{
    public const string Variable = "ONEDNN_MAX_CPU_ISA";
    public const string CappedIsa = "AVX2";

    private static readonly Lazy<string?> Applied = new(ApplyOnce);

    /// <summary>
    /// Sets <c>ONEDNN_MAX_CPU_ISA=AVX2</c> in the native environment when this CPU needs it and nobody set it;
    /// returns the value oneDNN will see (null: unset, oneDNN's default). Safe to call many times.
    /// </summary>
    public static string? Apply() => Applied.Value;

    /// <summary>Whether the CPU is one oneDNN's AVX-512 kernels were measured wrong on: an AMD processor with AVX-512.</summary>
    public static bool IsAffected(string cpuinfo)
    {
        var lines = cpuinfo.Split('\n');
        bool amd = lines.Any(l => l.StartsWith("vendor_id", StringComparison.Ordinal) && l.Contains("AuthenticAMD", StringComparison.Ordinal));
        bool avx512 = lines.Any(l => l.StartsWith("flags", StringComparison.Ordinal) && $" {l.Split(':', 2).ElementAtOrDefault(1)} ".Contains(" avx512f ", StringComparison.Ordinal));
        return amd && avx512;
    }

    private static string? ApplyOnce()
    {
        if (!OperatingSystem.IsLinux()) return null;
        string? current = getenv(Variable) is var p && p != IntPtr.Zero ? Marshal.PtrToStringAnsi(p) : null;
        if (current is not null) return current;
        string cpuinfo;
        try { cpuinfo = File.ReadAllText("/proc/cpuinfo"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        if (!IsAffected(cpuinfo)) return null;
        // The native environment, which oneDNN reads (Environment.SetEnvironmentVariable does not change it on Unix).
        return setenv(Variable, CappedIsa, 0) == 0 ? CappedIsa : null;
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPStr)] string name, [MarshalAs(UnmanagedType.LPStr)] string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr getenv([MarshalAs(UnmanagedType.LPStr)] string name);
}
