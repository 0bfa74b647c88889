using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>
/// The base forward (eval, no grad, adapters off) of the SDK's <c>SequenceClassifier</c> against the bench skeleton with
/// hand-written blocks, alternated forward by forward in one process: the ratio survives machine load that absolute
/// times do not. Also counts minor page faults per forward (fresh pages from the allocator cost as much as the maths).
/// </summary>
public static class BaseForwardBench
{
    public sealed record Result(double SdkMilliseconds, double HandMilliseconds, double Ratio, double SdkFaultsPerForward, double HandFaultsPerForward);

    public static Result Run(BenchShape shape, int warmup, int runs)
    {
        using var sdk = new EncoderWorkload(shape, EncoderVariant.Create("sdk", allLinears: false, shape));
        using var hand = new EncoderWorkload(shape, EncoderVariant.Create("hand", allLinears: false, shape));
        using var sdkOff = sdk.Variant.AdaptersOff();
        using var handOff = hand.Variant.AdaptersOff();
        sdk.Variant.Model.eval();
        hand.Variant.Model.eval();
        var times = new[] { new List<double>(), new List<double>() };
        var faults = new[] { new List<double>(), new List<double>() };
        var work = new[] { sdk, hand };
        for (int i = 0; i < warmup + runs; i++)
        {
            for (int w = 0; w < 2; w++)
            {
                long before = ProcessCounters.MinorFaults();
                double ms = Timing.Milliseconds(() => Forward(work[w]), 0, 1)[0];
                if (i < warmup) continue;
                times[w].Add(ms);
                faults[w].Add(ProcessCounters.MinorFaults() - before);
            }
        }
        double s = Timing.Median(times[0]), h = Timing.Median(times[1]);
        return new Result(s, h, s / h, Timing.Median(faults[0]), Timing.Median(faults[1]));
    }

    private static void Forward(EncoderWorkload work)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        work.Variant.Model.call(work.InputIds, work.AttentionMask);
    }
}
