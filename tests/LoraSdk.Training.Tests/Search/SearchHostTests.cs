using System.Text.Json;
using LoraSdk.Hosting;
using LoraSdk.Training.Tests.Hosting;

namespace LoraSdk.Training.Tests.Search;

/// <summary>
/// A real search through the host: the test host's tiny language model, trials as child processes of it. The
/// configured learning rate (the trainer's default, 0.001, not in the grid) is the incumbent; one candidate
/// diverges (learning rate 1e30) and is recorded as failed; promoted candidates continue their checkpoints; a
/// second run with the same inputs reuses the finished trials and rebuilds the same adapter from scratch.
/// </summary>
public class SearchHostTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    private static string[] Arguments(string dataset) =>
    [
        $"--LoRA:Dataset={dataset}", "--LoRA:Output=out/adapter", "--LoRA:Epochs=2", "--LoRA:BatchSize=4", "--LoRA:ValidationSplit=0.2",
        "--LoRA:Threads=1", "--LoRA:Rank=2", "--LoRA:Search=LearningRate=0.03,3e-3,1e30", "--LoRA:Budget=3",
    ];

    [Fact]
    public void TheWinnerBecomesTheAdapterWithAReportAndARerunReusesFinishedTrials()
    {
        using var folder = new TempFolder();
        var data = folder.File("train.jsonl", string.Concat(Enumerable.Range(0, 40).Select(i => $"{{\"text\":\"sample {i}: the quick brown fox {i % 7}\"}}\n")));
        string adapter = folder.Combine("out", "adapter");

        byte[] firstWeights;
        using (var search = new TestHostProcess(folder.Path, Arguments(data)))
        {
            Assert.True(search.WaitForExit(Timeout) == FineTuningExitCodes.Success, search.Transcript);
            Assert.Equal(adapter, search.Stdout[^1]);
            var result = JsonDocument.Parse(search.Stdout.Single(l => l.StartsWith("lora-result: ")).Split(' ', 2)[1]).RootElement;
            Assert.Equal(adapter, result.GetProperty("adapter").GetString());
            Assert.Equal(adapter + ".search.md", result.GetProperty("search").GetString());
            // 3 challengers + the incumbent to half a run (8 steps), then the best challenger and the incumbent continue to 16.
            Assert.Equal(6, result.GetProperty("trials").GetInt32());
            string winner = result.GetProperty("winner").GetString()!;
            Assert.DoesNotContain("1E+30", winner);
            bool configuredWon = result.GetProperty("configured").GetBoolean();
            Assert.Equal(configuredWon, winner == "LearningRate=0.001");

            var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json"))).RootElement;
            Assert.Equal(2, config.GetProperty("r").GetInt32());
            var recorded = config.GetProperty("lorasdk_search");
            Assert.Equal(winner, "LearningRate=" + recorded.GetProperty("settings").GetProperty("LearningRate").GetDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(16, recorded.GetProperty("steps").GetInt32()); // 2 epochs of 8 batches: the full run
            Assert.Equal("validation loss", recorded.GetProperty("metric").GetString());
            Assert.Equal(configuredWon, recorded.GetProperty("configured").GetBoolean());

            string report = File.ReadAllText(adapter + ".search.md");
            var rows = report.Split('\n').Where(l => l.StartsWith("| ") && !l.StartsWith("| round") && !l.StartsWith("| ---")).ToList();
            Assert.Equal(6, rows.Count);
            Assert.Single(rows, r => r.Contains("LearningRate=1E+30") && r.Contains("failed: diverged"));
            Assert.Single(rows, r => r.Contains("**winner**") && r.Contains(winner) && r.Contains("| 16 |"));
            Assert.Equal(2, rows.Count(r => r.Contains("LearningRate=0.001 (configured)"))); // never pruned
            Assert.Contains("are the incumbent", report);
            Assert.Equal(configuredWon, report.Contains("No candidate beat the configured settings."));
            // The last round continued each candidate's checkpoint of round 1 instead of starting over.
            string trials = folder.Combine("out", "adapter.search", "trials");
            var continued = Directory.GetFiles(trials, "train.log", SearchOption.AllDirectories).Where(f => f.Contains("16-steps")).ToList();
            Assert.Equal(2, continued.Count);
            Assert.All(continued, log => Assert.Contains("at step 8", File.ReadAllText(log)));
            Assert.Contains("![validation loss of every trial; the winner ringed](adapter.search.svg)", report);
            string plot = File.ReadAllText(adapter + ".search.svg");
            Assert.StartsWith("<svg", plot);
            Assert.Contains(">winner</text>", plot);
            Assert.Contains(">LearningRate</text>", plot);
            Assert.True(File.Exists(adapter + ".loss.svg"), "the winner's loss curve goes beside the adapter");
            Assert.Empty(Directory.GetDirectories(trials, "adapter", SearchOption.AllDirectories));
            Assert.Empty(Directory.GetDirectories(trials, "checkpoints", SearchOption.AllDirectories));
            firstWeights = File.ReadAllBytes(Path.Combine(adapter, "adapter_model.safetensors"));
        }

        // Same inputs again: the finished trials are reused; only the winner's full run (its adapter was not kept)
        // trains again, from scratch this time: the same weights as the run that continued from round 1.
        using (var rerun = new TestHostProcess(folder.Path, Arguments(data)))
        {
            Assert.True(rerun.WaitForExit(Timeout) == FineTuningExitCodes.Success, rerun.Transcript);
            Assert.Contains(rerun.Stdout, l => l.Contains("Search resumes: 6 finished trials"));
            Assert.Equal(6, rerun.Stdout.Count(l => l.Contains("(finished earlier)")));
            Assert.Equal(7, rerun.Stdout.Count(l => l.Contains("Trial LearningRate=")));
            var log = Directory.GetFiles(folder.Combine("out", "adapter.search", "trials"), "train.log", SearchOption.AllDirectories)
                .OrderBy(File.GetLastWriteTimeUtc).Last();
            Assert.DoesNotContain("Resuming from the checkpoint", File.ReadAllText(log));
            Assert.Equal(firstWeights, File.ReadAllBytes(Path.Combine(adapter, "adapter_model.safetensors")));
        }
    }

    [Fact]
    public void SigtermStopsTheSearchAndTheNextRunResumesFromItsFinishedTrials()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // SIGTERM is a POSIX signal
        using var folder = new TempFolder();
        var data = folder.File("train.jsonl", string.Concat(Enumerable.Range(0, 40).Select(i => $"{{\"text\":\"sample {i}: the quick brown fox {i % 7}\"}}\n")));
        // One trial at a time (the default is two), so that exactly two trials (the incumbent's, then 0.03's) have
        // finished when the signal lands. Budget 2.5: round 1 of 2 + 1 trials to 8 steps, round 2 of 1 + 1 to 16.
        string[] arguments = [.. Arguments(data)[..^2], "--LoRA:Search=LearningRate=0.03,3e-3", "--LoRA:Budget=2.5", "--LoRA:MaxParallelTrials=1"];

        // Slowed down (the trials inherit the delay) so that the signal lands while the second trial trains.
        using (var stopped = new TestHostProcess(folder.Path, arguments, stepDelayMs: 150))
        {
            Assert.True(stopped.WaitForLine(l => l.Contains("Trial LearningRate=0.03, 8 steps:"), Timeout), stopped.Transcript);
            stopped.Terminate();
            Assert.True(stopped.WaitForExit(Timeout) == FineTuningExitCodes.Cancelled, stopped.Transcript);
            Assert.Contains(stopped.Stdout, l => l.Contains("Search stopped; its 2 finished trials are kept"));
        }
        Assert.False(Directory.Exists(folder.Combine("out", "adapter")), "a stopped search installs no adapter");

        // KeepTrialAdapters is not part of what results depend on: the saved trial still counts.
        using var resumed = new TestHostProcess(folder.Path, [.. arguments, "--LoRA:KeepTrialAdapters=true"]);
        Assert.True(resumed.WaitForExit(Timeout) == FineTuningExitCodes.Success, resumed.Transcript);
        Assert.Contains(resumed.Stdout, l => l.Contains("Search resumes: 2 finished trials are not run again"));
        Assert.Contains(resumed.Stdout, l => l.Contains("Trial LearningRate=0.03, 8 steps:") && l.Contains("(finished earlier)"));
        Assert.True(File.Exists(folder.Combine("out", "adapter", "adapter_model.safetensors")));
        var kept = Directory.GetDirectories(folder.Combine("out", "adapter.search", "trials"), "adapter", SearchOption.AllDirectories);
        Assert.Equal(5, kept.Length); // the three short trials and the two full runs
        Assert.All(kept, k => Assert.True(File.Exists(Path.Combine(k, "adapter_model.safetensors")), k));
    }

    [Fact]
    public void ATrialKilledFromOutsideIsRetriedByTheNextRunAndTheResultIsTheUninterruptedOne()
    {
        if (!OperatingSystem.IsLinux()) return; // the trial processes are found in /proc
        string Data(TempFolder f) => f.File("train.jsonl", string.Concat(Enumerable.Range(0, 40).Select(i => $"{{\"text\":\"sample {i}: the quick brown fox {i % 7}\"}}\n")));
        string[] Small(string data) => [.. Arguments(data)[..^2], "--LoRA:Search=LearningRate=0.03,3e-3", "--LoRA:Budget=2.5", "--LoRA:MaxParallelTrials=1"];

        using var reference = new TempFolder();
        using (var uninterrupted = new TestHostProcess(reference.Path, Small(Data(reference))))
            Assert.True(uninterrupted.WaitForExit(Timeout) == FineTuningExitCodes.Success, uninterrupted.Transcript);

        using var folder = new TempFolder();
        string[] arguments = Small(Data(folder));
        // Slowed down so that the kill lands while the second trial (0.03, round 1) trains; only the trial is killed.
        using (var killed = new TestHostProcess(folder.Path, arguments, stepDelayMs: 150))
        {
            Assert.True(killed.WaitForLine(l => l.Contains("Trial LearningRate=0.001, 8 steps:"), Timeout), killed.Transcript);
            var deadline = DateTime.UtcNow + Timeout;
            while (killed.SignalChildren(9, "--LoRA:PauseAtStep=") == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "no trial process to kill\n" + killed.Transcript);
                Thread.Sleep(20);
            }
            Assert.True(killed.WaitForExit(Timeout) == FineTuningExitCodes.Cancelled, killed.Transcript);
            Assert.Contains(killed.Stdout, l => l.Contains("8 steps was killed by signal 9 (SIGKILL)")
                && l.Contains("The search stops without a winner; its 1 finished trials are kept") && l.Contains("the next run retries this trial from its checkpoint"));
            Assert.DoesNotContain(killed.Stdout, l => l.Contains("failed: exit code 137"));
        }
        Assert.False(Directory.Exists(folder.Combine("out", "adapter")), "no winner is installed without the killed trial");

        using var rerun = new TestHostProcess(folder.Path, arguments);
        Assert.True(rerun.WaitForExit(Timeout) == FineTuningExitCodes.Success, rerun.Transcript);
        Assert.Contains(rerun.Stdout, l => l.Contains("Search resumes: 1 finished trials are not run again"));
        Assert.Contains("trials (0 failed)", File.ReadAllText(folder.Combine("out", "adapter") + ".search.md"));
        string winner(TempFolder f) => JsonDocument.Parse(File.ReadAllText(f.Combine("out", "adapter", "adapter_config.json"))).RootElement.GetProperty("lorasdk_search").GetProperty("settings").ToString();
        Assert.Equal(winner(reference), winner(folder));
        Assert.Equal(File.ReadAllBytes(reference.Combine("out", "adapter", "adapter_model.safetensors")), File.ReadAllBytes(folder.Combine("out", "adapter", "adapter_model.safetensors")));
    }

    [Fact]
    public void AnUnsetRankIsReadFromTheModelSoTheIncumbentIsTheGridsCandidate()
    {
        using var folder = new TempFolder();
        var data = folder.File("train.jsonl", string.Concat(Enumerable.Range(0, 40).Select(i => $"{{\"text\":\"sample {i}: the quick brown fox {i % 7}\"}}\n")));
        // No LoRA:Rank: the test host's model takes the default rank, 8. Budget 2: the incumbent and one challenger, in full.
        string[] arguments = [.. Arguments(data).Where(a => !a.StartsWith("--LoRA:Rank=") && !a.StartsWith("--LoRA:Search=") && !a.StartsWith("--LoRA:Budget=")),
            "--LoRA:Search=Rank=2,8", "--LoRA:Budget=2"];
        using var search = new TestHostProcess(folder.Path, arguments);
        Assert.True(search.WaitForExit(Timeout) == FineTuningExitCodes.Success, search.Transcript);
        string report = File.ReadAllText(folder.Combine("out", "adapter") + ".search.md");
        Assert.Contains("The configured settings (Rank=8) are the incumbent", report);
        Assert.Contains("| 1 | Rank=8 (configured) | 16 |", report);
        Assert.Contains("| 1 | Rank=2 | 16 |", report);
    }

    [Fact]
    public void ABadSearchSpaceIsAnOptionErrorNamingKeyAndValue()
    {
        using var folder = new TempFolder();
        var data = folder.File("train.jsonl", "{\"text\":\"a b c\"}\n{\"text\":\"d e f\"}\n");
        using var host = new TestHostProcess(folder.Path, [$"--LoRA:Dataset={data}", "--LoRA:Search=Rank=4,eight", "--LoRA:MaxParallelTrials=0"]);
        Assert.Equal(FineTuningExitCodes.InvalidInput, host.WaitForExit(Timeout));
        Assert.Contains("error LORA210: LoRA:Search = Rank=4,eight: Rank value 'eight' is not a whole number. (set on the command line)", host.Stderr);
        Assert.Contains("error LORA210: LoRA:MaxParallelTrials = 0: must be at least 1.", host.Stderr);
        Assert.False(Directory.Exists(folder.Combine("lora-adapter.search")));
    }
}
