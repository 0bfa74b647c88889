using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>Forward latency (eval, no grad) on one fixed batch: adapters off, LoRA unmerged, LoRA merged.</summary>
public static class InferenceBench
{
    public sealed record Result(double BaseMilliseconds, double UnmergedMilliseconds, double MergedMilliseconds, long PeakRssBytes, double MinorFaultsPerForward);

    public static Result Run(BenchShape shape, EncoderVariant variant, int rounds, int warmup, int runs)
    {
        using var work = new EncoderWorkload(shape, variant);
        var model = variant.Model;
        model.eval();
        // B starts at zero; give the factors values so the unmerged path and the merge do real work.
        using (no_grad())
        {
            foreach (var factor in variant.AdapterFactors) factor.normal_(0, 0.02);
        }

        void Forward()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            model.call(work.InputIds, work.AttentionMask);
        }

        // Rounds of all three variants in turn, so drift in machine load hits each alike.
        var baseline = new List<double>();
        var unmerged = new List<double>();
        var merged = new List<double>();
        long faultsBefore = ProcessCounters.MinorFaults();
        for (int round = 0; round < rounds; round++)
        {
            unmerged.AddRange(Timing.Milliseconds(Forward, warmup, runs));
            using (variant.AdaptersOff()) baseline.AddRange(Timing.Milliseconds(Forward, warmup, runs));
            variant.Merge();
            merged.AddRange(Timing.Milliseconds(Forward, warmup, runs));
            variant.Unmerge();
        }
        long faults = ProcessCounters.MinorFaults() - faultsBefore;
        return new Result(Timing.Median(baseline), Timing.Median(unmerged), Timing.Median(merged), Timing.PeakRssBytes(),
            (double)faults / (rounds * 3 * (warmup + runs)));
    }
}
