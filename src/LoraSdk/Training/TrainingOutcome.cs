namespace LoraSdk.Training;

/// <summary>How a run ended.</summary>
public enum TrainingOutcome
{
    Completed,
    StoppedEarly,

    /// <summary>Cancelled at a step boundary; the last checkpoint holds the state to resume from.</summary>
    Cancelled,
}
