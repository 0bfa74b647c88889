using LoraSdk.Data;
using LoraSdk.Hosting;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>One line and an exit code for each kind of failure; only a bug points at the stack trace (Debug log).</summary>
public class FailureReportTests
{
    [Fact]
    public void InputErrorsKeepTheirCanonicalLineAndExitCodeTwo()
    {
        var error = new LoraInputException(LoraErrorCodes.InvalidRecord, "train.jsonl", 3, 4, "invalid JSON.");
        Assert.Equal((FineTuningExitCodes.InvalidInput, "train.jsonl(3,4): error LORA201: invalid JSON."), FailureReport.Describe(error));
    }

    [Fact]
    public void FileSystemErrorsAreOneLineWithoutATraceHint()
    {
        var (exitCode, line) = FailureReport.Describe(new UnauthorizedAccessException("Access to the path '/x' is denied."));
        Assert.Equal((FineTuningExitCodes.Failed, "error LORA211: Access to the path '/x' is denied."), (exitCode, line));
    }

    [Fact]
    public void BugsSayHowToSeeTheStackTrace()
    {
        var (exitCode, line) = FailureReport.Describe(new InvalidOperationException("boom"));
        Assert.Equal(FineTuningExitCodes.Failed, exitCode);
        Assert.Equal("error LORA200: fine-tuning failed: InvalidOperationException: boom (a bug: rerun with --Logging:LogLevel:LoraSdk=Debug for the stack trace)", line);
    }
}
