using System.Runtime.InteropServices;

namespace LoraSdk.Bench.ResNet;

/// <summary>
/// CPU time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>), in seconds. With one TorchSharp thread
/// the forward's work runs on the calling thread, so this is its own time, page-fault handling included, without the
/// time other processes held the core: the measure that stays meaningful on a shared machine. Elsewhere NaN.
/// </summary>
internal static class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static double Seconds()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        return ClockGetTime(ClockThreadCpuTimeId, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : double.NaN;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // Plain DllImport: a blittable struct only, and LibraryImport would need unsafe code enabled.
    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
}
