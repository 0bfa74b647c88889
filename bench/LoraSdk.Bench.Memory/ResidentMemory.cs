namespace LoraSdk.Bench.Memory;

/// <summary>The process's resident set size, from /proc on Linux (what top shows), else the working set.</summary>
internal static class ResidentMemory
{
    public static long Bytes() => Status("VmRSS:") ?? WorkingSet(p => p.WorkingSet64);

    /// <summary>The highest resident set size so far (VmHWM).</summary>
    public static long PeakBytes() => Status("VmHWM:") ?? WorkingSet(p => p.PeakWorkingSet64);

    public static double Mebibytes() => Bytes() / (1024.0 * 1024.0);

    public static double PeakMebibytes() => PeakBytes() / (1024.0 * 1024.0);

    /// <summary>Minor page faults of the process so far (minflt, field 10 of /proc/self/stat): pages the allocator
    /// took fresh from the kernel; 0 off Linux.</summary>
    public static long MinorFaults()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        var stat = File.ReadAllText("/proc/self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7]);
    }

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
