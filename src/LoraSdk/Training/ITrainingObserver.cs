namespace LoraSdk.Training;

/// <summary>Receives the trainer's progress; every method is optional.</summary>
public interface ITrainingObserver
{
    /// <summary>After a logged step.</summary>
    void OnStep(StepProgress progress) { }

    /// <summary>After an evaluation on the validation split.</summary>
    void OnEvaluation(EvaluationResult evaluation) { }

    /// <summary>After a checkpoint was written to <paramref name="directory"/>.</summary>
    void OnCheckpoint(string directory) { }

    /// <summary>Called once when a run continues from a checkpoint.</summary>
    void OnResumed(int step, string directory) { }

    /// <summary>Called when a checkpoint exists but belongs to another run (seed, length or data differ); training starts over.</summary>
    void OnCheckpointIgnored(string directory, string reason) { }

    /// <summary>
    /// Called when the checkpoint cannot be used (<paramref name="file"/> is missing, cut short, changed or holds
    /// impossible values: <paramref name="problem"/>). Training starts over; the damaged checkpoint folder was
    /// moved to <paramref name="keptAs"/>.
    /// </summary>
    void OnCheckpointDamaged(string file, string problem, string keptAs) { }
}
