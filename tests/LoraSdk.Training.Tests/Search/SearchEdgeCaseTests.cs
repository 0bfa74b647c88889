using LoraSdk.Hosting;
using LoraSdk.Search;
using LoraSdk.Training.Tests.Hosting;

namespace LoraSdk.Training.Tests.Search;

/// <summary>
/// The search's small failure cases: a damaged state file or one that is a folder (a warning, kept aside, the
/// search starts over), and a search space with nothing to compare (an option error, not a search of nothing).
/// </summary>
[Collection(nameof(ConsoleCapture))]
public class SearchEdgeCaseTests
{
    private static TrialRecord Finished(string rank) =>
        new(new TrialRequest(SearchSpaceParser.Parse($"Rank={rank}").Candidates()[0], 0, 8), new TrialResult(TrialStatus.Succeeded, 1, 0.5, 1, 10, 1));

    [Fact]
    public void ADamagedStateFileIsOneCleanLineAndIsKeptAside()
    {
        using var folder = new TempFolder();
        string path = folder.Combine("state.json");
        File.WriteAllText(path, "{ \"Fingerprint\": \"f1\", \"Trials\": [ {");
        var state = SearchState.Open(path, "f1", out string? discarded, out bool damaged);
        Assert.True(damaged);
        Assert.StartsWith($"{path} is damaged (", discarded);
        Assert.DoesNotContain("LineNumber", discarded);
        Assert.DoesNotContain("BytePositionInLine", discarded);
        Assert.DoesNotContain('\n', discarded!);
        string aside = Assert.Single(Directory.GetFiles(folder.Path, "state.json.damaged-*"));
        Assert.Contains($"it was moved to {aside}", discarded);
        Assert.Equal("{ \"Fingerprint\": \"f1\", \"Trials\": [ {", File.ReadAllText(aside));

        state.Add(Finished("4"));
        Assert.Single(SearchState.Open(path, "f1", out _).Trials);
    }

    [Fact]
    public void AStateFileThatIsAFolderIsMovedAsideAndTheSearchGoesOn()
    {
        using var folder = new TempFolder();
        string path = folder.Combine("state.json");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "notes.txt"), "mine");

        var state = SearchState.Open(path, "f1", out string? discarded, out bool damaged);
        Assert.True(damaged);
        Assert.StartsWith($"{path} is a folder, not the search state", discarded);
        string aside = Assert.Single(Directory.GetDirectories(folder.Path, "state.json.damaged-*"));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(aside, "notes.txt")));

        state.Add(Finished("4"));
        Assert.True(File.Exists(path));
        Assert.DoesNotContain(Directory.GetFiles(folder.Path), f => f.Contains(".tmp", StringComparison.Ordinal)); // no temporary file left behind
        Assert.Single(SearchState.Open(path, "f1", out string? again, out damaged).Trials);
        Assert.Null(again);
        Assert.False(damaged);
    }

    [Theory]
    [InlineData("--LoRA:Search=Rank=8", "nothing to compare: its one candidate (Rank=8) is the configured settings")]
    [InlineData("--LoRA:Search=Rank=4", null)]
    public async Task ASearchOfOneValueIsAnOptionErrorUnlessItDiffersFromTheConfiguredSettings(string search, string? problem)
    {
        using var folder = new TempFolder();
        var data = folder.File("train.jsonl", string.Concat(Enumerable.Range(0, 20).Select(i => $"{{\"text\":\"sample {i}: the quick brown fox\"}}\n")));
        string[] arguments = [$"--LoRA:Dataset={data}", "--LoRA:Rank=8", search, "--LoRA:MaxSteps=1", "--LoRA:ValidationSplit=0.2", "--LoRA:Budget=2"];
        if (problem is null)
        {
            // Rank 4 against the configured 8 is a comparison: the search starts (and the test stops it at once).
            using var host = new TestHostProcess(folder.Path, arguments);
            Assert.True(host.WaitForLine(l => l.Contains("Searching Rank=4"), TimeSpan.FromMinutes(2)), host.Transcript);
            return;
        }
        var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path, arguments);
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        Assert.StartsWith($"error LORA210: LoRA:Search = Rank=8: {problem}", stderr.Trim());
        Assert.False(Directory.Exists(folder.Combine("lora-adapter.search")));
    }
}
