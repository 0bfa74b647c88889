using System.Text.Json;
using LoraSdk.Hosting;
using TorchSharp.PyBridge;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>The host end to end in a child process: a full run, and SIGTERM + restart against an uninterrupted run.</summary>
public class SignalAndResumeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private static string[] Arguments(string dataset, string output) =>
    [
        $"--LoRA:Dataset={dataset}", $"--LoRA:Output={output}", "--LoRA:MaxSteps=120", "--LoRA:BatchSize=4", "--LoRA:LogEvery=5",
        "--LoRA:EvalEvery=20", "--LoRA:LearningRate=0.01", "--LoRA:Dropout=0.1", "--LoRA:Rank=4", "--LoRA:Threads=1", "--LoRA:Seed=11",
    ];

    private static string WriteData(TempFolder folder) =>
        folder.File("train.jsonl", string.Concat(Enumerable.Range(0, 40).Select(i => $"{{\"text\":\"sample {i}: the quick brown fox {i % 7}\"}}\n")));

    [Fact]
    public void SigtermCheckpointsAndTheNextStartResumesToTheSameAdapter()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // SIGTERM is a POSIX signal
        using var folder = new TempFolder();
        var data = WriteData(folder);

        // The uninterrupted run, which also shows what a completed run leaves behind.
        using (var straight = new TestHostProcess(folder.Path, Arguments(data, "straight")))
        {
            Assert.True(straight.WaitForExit(Timeout) == FineTuningExitCodes.Success, straight.Transcript);
            var lines = straight.Stdout;
            Assert.Equal(folder.Combine("straight"), lines[^1]);
            var result = JsonDocument.Parse(lines.Single(l => l.StartsWith("lora-result: ")).Split(' ', 2)[1]).RootElement;
            Assert.Equal(folder.Combine("straight"), result.GetProperty("adapter").GetString());
            var losses = lines.Where(l => l.StartsWith("lora-progress: "))
                .Select(l => JsonDocument.Parse(l.Split(' ', 2)[1]).RootElement.GetProperty("loss").GetDouble()).ToList();
            Assert.Equal(24, losses.Count);
            Assert.True(losses[^1] < losses[0], $"loss {losses[0]} -> {losses[^1]}");
            Assert.True(File.Exists(folder.Combine("straight", "adapter_config.json")));
            Assert.StartsWith("<svg", File.ReadAllText(folder.Combine("straight.loss.svg")));
            Assert.False(Directory.Exists(folder.Combine("straight.checkpoints")), "checkpoints are removed after a completed run");
        }

        // Interrupted: SIGTERM while training, slowed down so the signal lands mid-run.
        using (var interrupted = new TestHostProcess(folder.Path, Arguments(data, "resumed"), stepDelayMs: 15))
        {
            Assert.True(interrupted.WaitForLine(l => l.StartsWith("lora-progress: {\"step\":10,"), Timeout), interrupted.Transcript);
            interrupted.Terminate();
            Assert.True(interrupted.WaitForExit(Timeout) == FineTuningExitCodes.Cancelled, interrupted.Transcript);
            Assert.DoesNotContain(interrupted.Stdout, l => l.StartsWith("lora-result:"));
        }
        Assert.False(Directory.Exists(folder.Combine("resumed")), "no adapter is written for a cancelled run");
        var state = JsonDocument.Parse(File.ReadAllText(folder.Combine("resumed.checkpoints", "last", "trainer_state.json"))).RootElement;
        int stoppedAt = state.GetProperty("Step").GetInt32();
        Assert.InRange(stoppedAt, 10, 119);

        // Restarted with the same command: resumes from the checkpoint and ends where the straight run ended.
        using (var resumed = new TestHostProcess(folder.Path, Arguments(data, "resumed")))
        {
            Assert.True(resumed.WaitForExit(Timeout) == FineTuningExitCodes.Success, resumed.Transcript);
            Assert.Contains(resumed.Stdout, l => l.Contains($"Resuming from the checkpoint") && l.Contains($"at step {stoppedAt}"));
            Assert.DoesNotContain(resumed.Stdout, l => l.StartsWith("lora-progress: {\"step\":5,"));
        }
        var expected = Safetensors.LoadStateDict(folder.Combine("straight", "adapter_model.safetensors"));
        var actual = Safetensors.LoadStateDict(folder.Combine("resumed", "adapter_model.safetensors"));
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, tensor) in expected)
            Assert.True(tensor.data<float>().ToArray().SequenceEqual(actual[key].data<float>().ToArray()), $"'{key}' differs after resume");
    }
}
