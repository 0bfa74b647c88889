using System.Diagnostics;

namespace LoraSdk.Bench.Encoder;

public static class Timing
{
    /// <summary>Wall times of <paramref name="runs"/> calls after <paramref name="warmup"/> untimed ones.</summary>
    public static List<double> Milliseconds(Action action, int warmup, int runs)
    {
        for (int i = 0; i < warmup; i++) action();
        var times = new List<double>(runs);
        for (int i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return times;
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int half = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
    }

    public static double MedianMilliseconds(Action action, int warmup, int runs) => Median(Milliseconds(action, warmup, runs));

    /// <summary>Peak resident set size of this process (VmHWM) in bytes.</summary>
    public static long PeakRssBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]) * 1024;
    }
}
