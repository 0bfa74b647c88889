using LoraSdk.Hosting;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary><c>--LoRA:LoraPlusLrRatio</c> (and the build item's metadata, which becomes it): checked at start-up as a LORA210 line.</summary>
[Collection(nameof(ConsoleCapture))]
public class LoraPlusOptionTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-4")]
    [InlineData("NaN")]
    public async Task ARatioThatIsNoPositiveNumberIsAnOptionError(string ratio)
    {
        using var folder = new TempFolder();
        var data = folder.File("train.jsonl", "{\"text\":\"hello there\"}\n{\"text\":\"general kenobi\"}\n");
        var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path, "train", $"--LoRA:Dataset={data}", $"--LoRA:LoraPlusLrRatio={ratio}",
            "--LoRA:LoraPlusLrEmbedding=0", "--LoRA:Output=adapter");

        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        var lines = stderr.Trim().Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Contains($"error LORA210: LoRA:LoraPlusLrRatio = {ratio}: must be a positive number (1 is plain LoRA). (set on the command line)", lines);
        Assert.Contains("error LORA210: LoRA:LoraPlusLrEmbedding = 0: must be a positive number. (set on the command line)", lines);
        Assert.False(Directory.Exists(folder.Combine("adapter")));
    }
}
