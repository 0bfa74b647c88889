using LoraSdk.Shared;

namespace LoraSdk.Hosting;

/// <summary>Process exit codes of a fine-tuning host (the build step relies on them: src/Shared/FineTuneContract.cs).</summary>
public static class FineTuningExitCodes
{
    /// <summary>The adapter was written.</summary>
    public const int Success = FineTuneContract.ExitCodes.Success;

    /// <summary>An unexpected failure (logged).</summary>
    public const int Failed = FineTuneContract.ExitCodes.Failed;

    /// <summary>Bad data or options, reported as <c>LORA2xx</c> lines before training started.</summary>
    public const int InvalidInput = FineTuneContract.ExitCodes.InvalidInput;

    /// <summary>Stopped by Ctrl+C or SIGTERM after writing a checkpoint (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = FineTuneContract.ExitCodes.Cancelled;
}
