namespace LoraSdk.Training;

/// <summary>
/// The trainer's own bookkeeping, saved as <c>trainer_state.json</c> in each checkpoint: with the parameters,
/// optimizer and RNG state it is everything needed to continue a run exactly where it stopped.
/// </summary>
internal sealed class TrainerState
{
    /// <summary>Optimizer steps done.</summary>
    public int Step { get; set; }

    public int TotalSteps { get; set; }

    public long Seed { get; set; }

    /// <summary>A hash of the training examples: a checkpoint only resumes the run on the same data.</summary>
    public string DataFingerprint { get; set; } = "";

    /// <summary>Micro-batches consumed since the start (epoch and position within it follow from it).</summary>
    public long MicroBatchesSeen { get; set; }

    public double? BestValidationLoss { get; set; }

    public int BestStep { get; set; }

    public int EvaluationsWithoutImprovement { get; set; }

    public double? LastValidationLoss { get; set; }

    public double? LastValidationAccuracy { get; set; }

    public double? BaselineValidationAccuracy { get; set; }

    /// <summary>Training loss summed over the steps since the last report, and their count.</summary>
    public double LossWindowSum { get; set; }

    public int LossWindowSteps { get; set; }

    public double? LastReportedLoss { get; set; }

    public double ElapsedSeconds { get; set; }

    public List<LossPoint> History { get; set; } = [];
}
