namespace LoraSdk.Bench.Memory;

/// <summary>The process's resident set size, from /proc on Linux (what top shows), else the working set.</summary>
internal static class ResidentMemory
{
    public static long Bytes()
    {
        if (OperatingSystem.IsLinux())
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    public static double Mebibytes() => Bytes() / (1024.0 * 1024.0);
}
