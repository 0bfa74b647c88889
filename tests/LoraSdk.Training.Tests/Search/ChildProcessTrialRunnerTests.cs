using LoraSdk.Hosting;
using LoraSdk.Search;

namespace LoraSdk.Training.Tests.Search;

/// <summary>
/// How the runner reads a trial process that ends without its result: killed from outside (SIGKILL, SIGTERM) is an
/// interruption, to be retried; a crash it raised itself (SIGABRT) or an error exit is a failed trial.
/// The "program" is a shell that ends the way each case needs, so no training runs.
/// </summary>
public class ChildProcessTrialRunnerTests
{
    private static readonly TrialRequest Request = new(SearchSpaceParser.Parse("Rank=2,4").Candidates()[0], Rung: 0, Steps: 8);

    private static Task<TrialResult> Run(TempFolder folder, string script) =>
        new ChildProcessTrialRunner(new TrialProgram("/bin/sh", ["-c", script, "sh"], folder.Path), [], folder.Combine("trials"), 1)
            .RunAsync(Request, CancellationToken.None);

    [Theory]
    [InlineData("KILL", 9, "SIGKILL")]
    [InlineData("TERM", 15, "SIGTERM")]
    public async Task AProcessKilledFromOutsideIsInterruptedNotFailed(string signal, int number, string name)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        using var folder = new TempFolder();
        var interrupted = await Assert.ThrowsAsync<TrialInterruptedException>(() => Run(folder, $"echo training; kill -{signal} $$"));
        Assert.Equal(number, interrupted.Signal);
        Assert.Equal(Request, interrupted.Request);
        Assert.StartsWith($"Trial Rank=2, 8 steps was killed by signal {number} ({name}) before it finished", interrupted.Message);
    }

    [Theory]
    [InlineData("kill -ABRT $$", "exit code 134")]
    [InlineData("echo 'error: bad data' >&2; exit 3", "exit code 3: error: bad data")]
    public async Task ACrashOrAnErrorExitIsAFailedTrial(string script, string failure)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        using var folder = new TempFolder();
        var result = await Run(folder, script);
        Assert.Equal(TrialStatus.Failed, result.Status);
        Assert.StartsWith(failure, result.Failure);
    }
}
