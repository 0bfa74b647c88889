using System.Runtime.InteropServices;

namespace LoraSdk.Native;

/// <summary>
/// Keeps TorchSharp's resident memory flat under glibc malloc. glibc raises its mmap threshold dynamically
/// as large blocks are freed, after which every step's tensors come from the heap and freed memory is rarely
/// returned: RSS grows by gigabytes over a long run. A fixed threshold of 128 KiB (what
/// <c>MALLOC_MMAP_THRESHOLD_=131072</c> sets for child processes) keeps large tensors on mmap, which is given
/// back on free. Elsewhere (Windows, macOS, musl) this does nothing.
/// </summary>
public static class MallocTuning
{
    /// <summary>glibc's <c>M_MMAP_THRESHOLD</c> parameter id for <c>mallopt</c>.</summary>
    private const int MmapThresholdParameter = -3;

    public const int MmapThresholdBytes = 131072;

    private static int _applied;

    /// <summary>
    /// Sets glibc's mmap threshold once per process. Returns true when the threshold is in effect (set now,
    /// before, or by the <c>MALLOC_MMAP_THRESHOLD_</c> environment variable), false where not applicable.
    /// </summary>
    public static bool Apply()
    {
        if (!OperatingSystem.IsLinux() || !IsGlibc()) return false;
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is { Length: > 0 }) return true;
        if (Interlocked.Exchange(ref _applied, 1) == 1) return true;
        return SetMmapThreshold();
    }

    /// <summary>The <c>mallopt</c> call itself (glibc returns 1 on success); glibc Linux only.</summary>
    internal static bool SetMmapThreshold() => mallopt(MmapThresholdParameter, MmapThresholdBytes) == 1;

    internal static bool IsGlibc()
    {
        try
        {
            return gnu_get_libc_version() != IntPtr.Zero;
        }
        catch (EntryPointNotFoundException)
        {
            return false; // musl and other C libraries
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    // Plain DllImport: blittable arguments only, and LibraryImport would need unsafe code enabled.
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);

    [DllImport("libc", EntryPoint = "gnu_get_libc_version")]
    private static extern IntPtr gnu_get_libc_version();
}
