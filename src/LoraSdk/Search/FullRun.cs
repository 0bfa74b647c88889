using System.Globalization;
using LoraSdk.Training;

namespace LoraSdk.Search;

/// <summary>The optimizer steps of one full run of a candidate (its batch size and accumulation may be searched), as the trainer counts them.</summary>
internal static class FullRun
{
    public static int Steps(int trainExamples, TrainerOptions trainer, Candidate candidate)
    {
        int batch = candidate[nameof(trainer.BatchSize)] is { } b ? int.Parse(b, CultureInfo.InvariantCulture) : trainer.BatchSize;
        int accumulation = candidate[nameof(trainer.GradientAccumulationSteps)] is { } a ? int.Parse(a, CultureInfo.InvariantCulture) : trainer.GradientAccumulationSteps;
        return Math.Max(1, (trainer with { BatchSize = batch, GradientAccumulationSteps = accumulation }).TotalSteps(trainExamples));
    }
}
