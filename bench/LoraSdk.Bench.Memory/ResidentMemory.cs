namespace LoraSdk.Bench.Memory;

/// <summary>The process's resident set size, from /proc on Linux (what top shows), else the working set.</summary>
internal static class ResidentMemory
{
    public static long Bytes() => Status("VmRSS:") ?? WorkingSet(p => p.WorkingSet64);

    /// <summary>The highest resident set size so far (VmHWM).</summary>
    public static long PeakBytes() => Status("VmHWM:") ?? WorkingSet(p => p.PeakWorkingSet64);

    public static double Mebibytes() => Bytes() / (1024.0 * 1024.0);

    public static double PeakMebibytes() => PeakBytes() / (1024.0 * 1024.0);

    private static long? Status(string field)
    {
        if (!OperatingSystem.IsLinux()) return null;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        return null;
    }

    private static long WorkingSet(Func<System.Diagnostics.Process, long> read)
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return read(process);
    }
}
