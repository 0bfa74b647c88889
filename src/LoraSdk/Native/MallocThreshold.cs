using System.Runtime.InteropServices;

namespace LoraSdk.Native;

/// <summary>
/// Primes glibc's adaptive mmap threshold once per process. glibc starts with a 128 KiB threshold and raises it to
/// the size of each mmapped block that is freed (up to 32 MiB), and it gives the top of the heap back to the system
/// (<c>brk</c> shrink) whenever more than twice the threshold lies free there. An encoder frees 12–15 MiB of
/// activations at the end of every layer; where the largest block freed so far was one 6 MiB attention buffer (a
/// matter of the process's allocation history), every layer shrinks the heap and the next one faults the same pages
/// back in: 18,000 minor faults (71 MiB of fresh pages) per MiniLM forward measured, 1.7× its time. Freeing one
/// untouched ~32 MiB block at start-up puts every process in the state lucky ones reach on their own (threshold
/// 32 MiB, heap trimmed beyond 64 MiB free) while keeping glibc's adaptive mode, which any <c>mallopt</c> call
/// would switch off. The block is never written, so it costs no resident memory. Elsewhere (musl, Windows, macOS)
/// a no-op. <c>LORASDK_MALLOC_PRIME=0</c> in the environment (read once, at the first <see cref="Prime"/>) turns it
/// off, for comparing against glibc's untouched state or where the up to 64 MiB kept free at the heap top matter more.
/// </summary>
public static class MallocThreshold
{
    /// <summary>The environment variable that turns the priming off when set to <c>0</c>, <c>false</c> or <c>off</c>.</summary>
    public const string OptOutVariable = "LORASDK_MALLOC_PRIME";

    // glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit is 32 MiB; the block's chunk (size + header, page-rounded)
    // must not exceed it, or glibc leaves the threshold where it is.
    private const int PrimingBytes = 32 * 1024 * 1024 - 64 * 1024;

    private static readonly Lazy<bool> Primed = new(PrimeNow);

    /// <summary>Raises the threshold (once per process); true when glibc was primed, false elsewhere, when opted out, or when eight ~32 MiB requests in a row were served from free heap chunks.</summary>
    public static bool Prime() => Primed.Value;

    /// <summary>Whether a value of <see cref="OptOutVariable"/> turns the priming off (unset or anything else: on).</summary>
    internal static bool IsOptOut(string? value) =>
        value?.Trim().ToLowerInvariant() is "0" or "false" or "off";

    private static bool PrimeNow()
    {
        if (IsOptOut(Environment.GetEnvironmentVariable(OptOutVariable))) return false;
        if (!OperatingSystem.IsLinux() || !MallocTrim.IsGlibc()) return false;
        // Marshal.AllocHGlobal is malloc on Unix: above the threshold it is a fresh mapping, and its free raises the
        // threshold. But a free chunk of that size already in this thread's arena (the process's allocation history)
        // serves the request from the heap, and freeing that raises nothing: such blocks are held (untouched) until one
        // is a mapping, glibc's IS_MMAPPED bit (bit 1 of the size word before the pointer) says which.
        var held = new List<IntPtr>();
        try
        {
            for (int attempt = 0; attempt < MaxAttempts; attempt++)
            {
                var block = Marshal.AllocHGlobal(PrimingBytes);
                if (IsOwnMapping(block))
                {
                    Marshal.FreeHGlobal(block);
                    return true;
                }
                held.Add(block);
            }
            return false; // the arena kept serving from free heap chunks: glibc left as it was
        }
        finally
        {
            foreach (var block in held) Marshal.FreeHGlobal(block);
        }
    }

    /// <summary>
    /// Whether glibc serves the malloc'd <paramref name="block"/> as a mapping of its own (unmapped again on free) rather
    /// than from an arena: glibc's IS_MMAPPED bit, bit 1 of the chunk's size word (the 8 bytes before the pointer).
    /// </summary>
    internal static bool IsOwnMapping(IntPtr block) => (Marshal.ReadInt64(block - 8) & IsMmappedBit) != 0;

    private const long IsMmappedBit = 0x2;
    private const int MaxAttempts = 8;
}
