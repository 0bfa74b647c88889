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

    public int BatchSize { get; set; }

    public int GradientAccumulationSteps { get; set; }

    /// <summary>A hash of the training examples: a checkpoint only resumes the run on the same data.</summary>
    public string DataFingerprint { get; set; } = "";

    /// <summary>
    /// How the adapted layers' base weights are stored (<c>Nf4</c>, <c>Int8</c>, …; empty for a float base, as in
    /// checkpoints written before quantized bases existed): an adapter is only continued on the base it trained on.
    /// </summary>
    public string BaseStorage { get; set; } = "";

    /// <summary>
    /// The run's <see cref="TrainerOptions.LoraPlusLrRatio"/> (1 in checkpoints written before LoRA+): it decides the
    /// optimizer's parameter groups, so the saved AdamW state only fits a run with the same ratio.
    /// </summary>
    public double LoraPlusLrRatio { get; set; } = 1;

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

    /// <summary>
    /// Values no run of this trainer can have written (a hand-edited or otherwise corrupted state): resuming
    /// from them would "complete" at once or index the data wrongly. Each reads <c>Key = value: why</c>.
    /// </summary>
    public IEnumerable<string> Problems(int gradientAccumulationSteps)
    {
        if (Step < 0 || Step > TotalSteps) yield return $"Step = {Step}: outside 0..{TotalSteps}";
        if (MicroBatchesSeen != (long)Step * gradientAccumulationSteps)
            yield return $"MicroBatchesSeen = {MicroBatchesSeen}: {Step} steps of {gradientAccumulationSteps} micro-batches consume {(long)Step * gradientAccumulationSteps}";
        if (BestStep < 0 || BestStep > Step) yield return $"BestStep = {BestStep}: outside 0..{Step}";
        if (EvaluationsWithoutImprovement < 0 || EvaluationsWithoutImprovement > Step)
            yield return $"EvaluationsWithoutImprovement = {EvaluationsWithoutImprovement}: outside 0..{Step}";
        if (LossWindowSteps < 0 || LossWindowSteps > Step) yield return $"LossWindowSteps = {LossWindowSteps}: outside 0..{Step}";
        if (!(ElapsedSeconds >= 0) || double.IsInfinity(ElapsedSeconds)) yield return $"ElapsedSeconds = {ElapsedSeconds}: not a duration";
        if (History is null) yield return "History = null: expected a list";
        else if (History.FindIndex(p => p is null || p.Step < 1 || p.Step > Step) is var at and >= 0)
            yield return $"History[{at}] = {History[at]?.Step.ToString() ?? "null"}: not a step in 1..{Step}";
        foreach (var (name, accuracy) in new[] { (nameof(LastValidationAccuracy), LastValidationAccuracy), (nameof(BaselineValidationAccuracy), BaselineValidationAccuracy) })
            if (accuracy is { } a && !(a is >= 0 and <= 1)) yield return $"{name} = {a}: not a fraction";
    }
}
