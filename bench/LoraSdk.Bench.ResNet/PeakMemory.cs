namespace LoraSdk.Bench.ResNet;

/// <summary>The process's peak resident set size (VmHWM in /proc on Linux, else the peak working set), in MiB.</summary>
internal static class PeakMemory
{
    public static double Mebibytes()
    {
        if (OperatingSystem.IsLinux())
        {
            var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        }
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.PeakWorkingSet64 / (1024.0 * 1024.0);
    }
}
