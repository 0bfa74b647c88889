namespace IntentClassifier;

/// <summary>Peak resident set size of this process (VmHWM), in bytes; 0 where /proc is absent.</summary>
public static class ProcessMemory
{
    /// <summary>Resets the peak (VmHWM) to the current RSS (Linux: "5" to /proc/self/clear_refs), so a later peak is that phase's alone.</summary>
    public static void ResetPeak()
    {
        const string clearRefs = "/proc/self/clear_refs";
        if (File.Exists(clearRefs)) File.WriteAllText(clearRefs, "5");
    }

    public static long PeakRssBytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return 0;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        if (line is null) return 0;
        var kilobytes = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]);
        return kilobytes * 1024;
    }
}
