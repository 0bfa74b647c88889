using System.Globalization;
using LoraSdk.Hosting;

namespace LoraSdk.Search;

/// <summary>The optimizer steps of one full run of a candidate (its batch size and accumulation may be searched), as the trainer counts them.</summary>
internal static class FullRun
{
    public static int Steps(int trainExamples, LoraFineTuningOptions options, Candidate candidate)
    {
        if (options.MaxSteps > 0) return options.MaxSteps;
        int batch = candidate[nameof(options.BatchSize)] is { } b ? int.Parse(b, CultureInfo.InvariantCulture) : options.BatchSize;
        int accumulation = candidate[nameof(options.GradientAccumulationSteps)] is { } a ? int.Parse(a, CultureInfo.InvariantCulture) : options.GradientAccumulationSteps;
        int batchesPerEpoch = (trainExamples + batch - 1) / batch;
        return Math.Max(1, (int)Math.Ceiling((double)batchesPerEpoch * options.Epochs / accumulation));
    }
}
