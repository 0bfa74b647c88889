namespace LoraSdk.Training;

/// <summary>How a run ended.</summary>
public enum TrainingOutcome
{
    Completed,
    StoppedEarly,

    /// <summary>Cancelled at a step boundary; the last checkpoint holds the state to resume from.</summary>
    Cancelled,
}

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
