using LoraSdk.Hosting;
using LoraSdk.Training.Tests.Hosting;

namespace LoraSdk.Training.Tests.Search;

/// <summary>
/// <c>Search="LoraPlusLrRatio=1,16"</c> through the host: the configured ratio (1, the default) is the grid's first
/// candidate and the incumbent, ratio 16 trains as its own trial, and the report shows both.
/// </summary>
public class LoraPlusSearchTests
{
    [Fact]
    public void TheRatioIsSearchedAndTheReportShowsIt()
    {
        using var folder = new TempFolder();
        var data = folder.File("train.jsonl", string.Concat(Enumerable.Range(0, 40).Select(i => $"{{\"text\":\"sample {i}: the quick brown fox {i % 7}\"}}\n")));
        // Budget 2: the incumbent and one challenger, each a full run of 2 epochs of 8 batches.
        using var search = new TestHostProcess(folder.Path,
        [
            $"--LoRA:Dataset={data}", "--LoRA:Output=out/adapter", "--LoRA:Epochs=2", "--LoRA:BatchSize=4", "--LoRA:ValidationSplit=0.2",
            "--LoRA:Threads=1", "--LoRA:Rank=2", "--LoRA:LearningRate=0.01", "--LoRA:Search=LoraPlusLrRatio=1,16", "--LoRA:Budget=2",
        ]);
        Assert.True(search.WaitForExit(TimeSpan.FromMinutes(4)) == FineTuningExitCodes.Success, search.Transcript);

        string report = File.ReadAllText(folder.Combine("out", "adapter") + ".search.md");
        Assert.Contains("The configured settings (LoraPlusLrRatio=1) are the incumbent", report);
        var rows = report.Split('\n').Where(l => l.StartsWith("| 1 | LoraPlusLrRatio=")).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Single(rows, r => r.StartsWith("| 1 | LoraPlusLrRatio=1 (configured) | 16 |"));
        Assert.Single(rows, r => r.StartsWith("| 1 | LoraPlusLrRatio=16 | 16 |"));
        // The two trials trained differently: their validation losses (the row's metric) differ.
        Assert.NotEqual(Metric(rows[0]), Metric(rows[1]));
        Assert.Contains(">LoraPlusLrRatio</text>", File.ReadAllText(folder.Combine("out", "adapter") + ".search.svg"));
    }

    private static string Metric(string row) => row.Split('|', StringSplitOptions.TrimEntries)[4];
}
