namespace LoraSdk.Training;

/// <summary>What a run produced. Losses are null when there was nothing to measure them on.</summary>
public sealed record TrainingResult(
    TrainingOutcome Outcome,
    int Steps,
    int TotalSteps,
    double? TrainLoss,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double? BaselineValidationAccuracy,
    ParameterCount Parameters,
    TimeSpan Elapsed,
    IReadOnlyList<LossPoint> History);
