namespace LoraSdk.Bench.ResNet;

/// <summary>
/// The median of per-round ratios (variant / base, both timed in the same round) with a 95 % percentile-bootstrap
/// interval of that median and the interquartile range of the ratios themselves. Pairing within a round cancels
/// slow drifts (load, frequency) that hit a whole round; the interval says how well the median is pinned down.
/// </summary>
internal sealed record RatioStatistics(double Median, double Low, double High, double Quartile1, double Quartile3, int Rounds)
{
    private const int Resamples = 4000;

    public static RatioStatistics Of(IReadOnlyList<double> ratios, int seed = 1)
    {
        if (ratios.Count == 0) throw new ArgumentException("No rounds were timed; raise --seconds or --rounds.", nameof(ratios));
        var random = new Random(seed);
        var medians = new double[Resamples];
        var sample = new double[ratios.Count];
        for (int r = 0; r < Resamples; r++)
        {
            for (int i = 0; i < sample.Length; i++) sample[i] = ratios[random.Next(ratios.Count)];
            medians[r] = Quantile(sample, 0.5);
        }
        return new RatioStatistics(Quantile(ratios, 0.5), Quantile(medians, 0.025), Quantile(medians, 0.975),
            Quantile(ratios, 0.25), Quantile(ratios, 0.75), ratios.Count);
    }

    /// <summary>Linear interpolation between order statistics (numpy's default).</summary>
    public static double Quantile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    /// <summary>Below this many rounds a percentile bootstrap understates the spread; no verdict is given.</summary>
    public const int FewestRounds = 20;

    /// <summary>met when the whole interval is at or below the goal, not met when all of it is above, else undecided.</summary>
    public string Verdict(double goal) =>
        Rounds < FewestRounds ? $"no verdict: fewer than {FewestRounds} rounds" : High <= goal ? "met" : Low > goal ? "not met" : "undecided at this precision";

    /// <summary>For the control (a state timed against itself): is the interval within ±<paramref name="tolerance"/> of 1?</summary>
    public string Precision(double tolerance) =>
        Rounds < FewestRounds ? $"no verdict: fewer than {FewestRounds} rounds"
        : Low >= 1 - tolerance && High <= 1 + tolerance ? $"precise: interval within ±{tolerance:P0}" : $"too noisy: interval not within ±{tolerance:P0}";
}
