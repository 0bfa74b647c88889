using System.Runtime.InteropServices;

namespace LoraSdk.Native;

/// <summary>
/// Gives glibc's free heap pages back to the system (<c>malloc_trim(0)</c>). Under glibc's default settings,
/// freed tensor memory stays in the heap, and the heap fragments as different tensor sizes come and go, so
/// the resident set creeps up over a long run. Trimming at a step boundary, when the step's tensors have been
/// freed, returns that slack without touching how the steps allocate (the earlier fix, pinning the mmap
/// threshold, made every large tensor a fresh mapping and cost 1.6–1.75× training time). Elsewhere (Windows,
/// macOS, musl) a no-op.
/// </summary>
public static class MallocTrim
{
    private static readonly bool Available = OperatingSystem.IsLinux() && IsGlibc();

    /// <summary>Returns free heap memory to the system; true when glibc released any, false elsewhere.</summary>
    public static bool Release() => Available && malloc_trim(0) == 1;

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
    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    [DllImport("libc", EntryPoint = "gnu_get_libc_version")]
    private static extern IntPtr gnu_get_libc_version();
}
