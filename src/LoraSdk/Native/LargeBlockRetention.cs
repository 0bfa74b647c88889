using System.Runtime.InteropServices;

namespace LoraSdk.Native;

/// <summary>
/// Keeps glibc from handing large freed blocks back to the system while a decoder trains. glibc serves every block
/// above its mmap threshold (at most 32 MiB, even primed: <see cref="MallocThreshold"/>) as a mapping of its own and
/// unmaps it on free, so each such tensor's pages are faulted in and zeroed again at every step: a causal LM's logits
/// and their gradients (4 × 256 tokens × a 49,152-token vocabulary = 200 MB each) made 215,000 minor faults per
/// training step on the SmolLM2-135M bench shape, and a step took 1.35× as long as with them kept (docs/benchmarks.md,
/// "Decoder LLM"). Raising the threshold to 2 GiB and turning off the automatic trimming of the heap top (glibc's
/// <c>M_MMAP_THRESHOLD</c>, and <c>M_TRIM_THRESHOLD</c> = -1) lets those blocks come from the heap and stay there for
/// the next step, as a caching allocator would. The price is memory: RSS no longer falls between steps, and the heap's
/// fragmentation adds to it over the first steps (bench shape: peak 3.7 GB without, settling at 4.9–5.2 GB with, over
/// 32 steps). Explicit <see cref="MallocTrim.Release"/> calls (gradient checkpointing, the quantizing loader) still give
/// memory back. <c>CausalLM</c> applies it at its first training forward (train mode, gradients on); it is for
/// the whole process and stays. Limits: glibc's per-thread arenas cannot hold blocks above 64 MiB, so on a thread other
/// than the process's first one (the hosted trainer's own thread) only blocks up to 64 MiB are kept. Elsewhere (musl,
/// Windows, macOS), with <see cref="MallocThreshold.OptOutVariable"/> = 0 (the memory of glibc's default matters more
/// than the time), or where glibc refuses the values (older versions cap the threshold at 32 MiB): nothing is changed.
/// </summary>
internal static class LargeBlockRetention
{
    private static readonly Lazy<bool> Enabled = new(EnableNow);

    /// <summary>Applies the setting (once per process); true when glibc took it.</summary>
    public static bool Enable() => Enabled.Value;

    /// <summary>Whether <see cref="Enable"/> has run and glibc took the setting (asks without applying it).</summary>
    public static bool IsEnabled => Enabled.IsValueCreated && Enabled.Value;

    private static bool EnableNow()
    {
        if (MallocThreshold.IsOptOut(Environment.GetEnvironmentVariable(MallocThreshold.OptOutVariable))) return false;
        if (!OperatingSystem.IsLinux() || !MallocTrim.IsGlibc()) return false;
        // The threshold first: if glibc refuses it, nothing has changed (a refused mallopt changes no state), and the
        // trim setting alone would switch off the adaptive threshold and make every block above 128 KiB a mapping.
        if (mallopt(MmapThreshold, int.MaxValue) != 1) return false;
        return mallopt(TrimThreshold, -1) == 1;
    }

    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD; the value -1 turns trimming off
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);
}
