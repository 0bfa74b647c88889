using LoraSdk.Data;
using Microsoft.Extensions.Logging;

namespace LoraSdk.Hosting;

/// <summary>
/// Turns an exception that ends a fine-tuning run into what the user sees: one canonical error line on stderr
/// and an exit code. Input and file-system problems are the user's to fix and need no stack trace; anything
/// else is a bug, whose stack trace goes to the log at Debug level (the line says how to see it).
/// </summary>
internal static class FailureReport
{
    /// <summary>An unexpected failure inside the fine-tuning program (a bug, not bad input).</summary>
    public const string UnexpectedCode = LoraErrorCodes.UnexpectedFailure;

    /// <summary>A file or folder the run needs could not be read or written.</summary>
    public const string FileSystemCode = LoraErrorCodes.FileSystem;

    public static int Write(Exception e, ILogger logger)
    {
        var (exitCode, line) = Describe(e);
        Console.Error.WriteLine(line);
        logger.LogDebug(e, "Stack trace of the failure above");
        return exitCode;
    }

    public static (int ExitCode, string Line) Describe(Exception e) => e switch
    {
        LoraInputException input => (FineTuningExitCodes.InvalidInput, input.CanonicalMessage),
        OptionRefusedException refused => (FineTuningExitCodes.InvalidInput, refused.Message),
        LoraAdapterExportException export => (FineTuningExitCodes.Failed,
            $"{export.FileName}: error {LoraErrorCodes.ExportFailed}: adapter export failed: {export.InnerException?.Message ?? export.Message} " +
            $"(the PEFT adapter in {Path.GetDirectoryName(export.FileName)} is complete)"),
        IOException or UnauthorizedAccessException => (FineTuningExitCodes.Failed, $"error {FileSystemCode}: {e.Message}"),
        _ => (FineTuningExitCodes.Failed,
            $"error {UnexpectedCode}: fine-tuning failed: {e.GetType().Name}: {e.Message} " +
            $"(a bug: rerun with --Logging:LogLevel:LoraSdk=Debug for the stack trace)"),
    };
}
