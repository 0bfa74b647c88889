namespace LoraSdk.Bench.ResNet;

/// <summary>
/// The process's minor page faults so far (field 10 of /proc/self/stat; 0 elsewhere). A forward that allocates
/// activations from fresh pages (a trimmed heap, or blocks above glibc's mmap threshold) pays for a kernel-zeroed
/// page per fault; counts do not depend on machine load, times do (docs/benchmarks.md, heap trimming).
/// </summary>
internal static class MinorFaults
{
    public static long Now()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        string stat = File.ReadAllText("/proc/self/stat");
        // After the parenthesised command name: state (field 3), ppid, pgrp, session, tty_nr, tpgid, flags, minflt (field 10).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
    }
}
