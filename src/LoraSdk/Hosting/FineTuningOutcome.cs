using LoraSdk.Training;

namespace LoraSdk.Hosting;

/// <summary>How the fine-tuning service ended; read by <see cref="LoraHostExtensions.RunLoraFineTuningAsync"/>.</summary>
public sealed class FineTuningOutcome
{
    /// <summary>The process exit code (<see cref="FineTuningExitCodes"/>).</summary>
    public int ExitCode { get; internal set; } = FineTuningExitCodes.Failed;

    /// <summary>The full path of the written adapter folder, when training completed.</summary>
    public string? AdapterPath { get; internal set; }

    /// <summary>The trainer's result, when training ran.</summary>
    public TrainingResult? Result { get; internal set; }
}
