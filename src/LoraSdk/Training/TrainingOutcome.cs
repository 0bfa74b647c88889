namespace LoraSdk.Training;

/// <summary>How a run ended.</summary>
public enum TrainingOutcome
{
    /// <summary>Every planned step ran.</summary>
    Completed,
    /// <summary>Early stopping ended the run: validation loss stopped improving.</summary>
    StoppedEarly,

    /// <summary>Cancelled at a step boundary; the last checkpoint holds the state to resume from.</summary>
    Cancelled,

    /// <summary>
    /// Stopped at <see cref="TrainerOptions.PauseAtStep"/>, before the schedule's end; the last checkpoint continues
    /// the run, and the result measures the parameters at the pause.
    /// </summary>
    Paused,
}
