namespace LoraSdk.Training;

/// <summary>One logged step: the mean training loss since the previous report.</summary>
public sealed record StepProgress(
    int Step, int TotalSteps, int Epoch, double Loss, double LearningRate, double StepsPerSecond, TimeSpan Elapsed)
{
    /// <summary>Estimated time left at the current speed.</summary>
    public TimeSpan Remaining => StepsPerSecond > 0 ? TimeSpan.FromSeconds((TotalSteps - Step) / StepsPerSecond) : TimeSpan.Zero;
}
