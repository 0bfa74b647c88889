using System.Diagnostics;

namespace LoraSdk.Bench.Layers;

/// <summary>
/// Interleaved timing: each round runs every variant once, so slow drift of a shared 2-core machine hits
/// all variants alike; the median over rounds is reported.
/// </summary>
internal static class Timing
{
    public static IReadOnlyDictionary<string, double> MedianMilliseconds(int warmup, int rounds, params (string Name, Action Run)[] variants)
    {
        for (int i = 0; i < warmup; i++)
            foreach (var (_, run) in variants) run();

        var samples = variants.ToDictionary(v => v.Name, _ => new List<double>());
        for (int round = 0; round < rounds; round++)
        {
            foreach (var (name, run) in variants)
            {
                var watch = Stopwatch.StartNew();
                run();
                samples[name].Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        return samples.ToDictionary(s => s.Key, s => Median(s.Value));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
