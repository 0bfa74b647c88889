namespace LoraSdk.Bench;

/// <summary>
/// What the benches read about their own process and the machine (linked into each bench project): minor page
/// faults, which count pages the allocator took fresh from the kernel and do not depend on machine load, and the
/// load average that every reported run states.
/// </summary>
internal static class ProcessCounters
{
    /// <summary>Minor page faults of this process so far (minflt, field 10 of /proc/self/stat); 0 off Linux.</summary>
    public static long MinorFaults()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        string stat = File.ReadAllText("/proc/self/stat");
        // After the parenthesised command name: state (field 3), ppid, pgrp, session, tty_nr, tpgid, flags, minflt (field 10).
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The one-minute load average, as /proc/loadavg gives it; "n/a" where there is none.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
