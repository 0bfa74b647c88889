using LoraSdk.Data;
using LoraSdk.Hosting;
using LoraSdk.Training.Tests.Models;
using LoraSdk.Training.TestHost;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>
/// What a user sees, through the real host in a child process: for a mistake of theirs one error line and the
/// exit code, no hosting log with a stack trace; a damaged checkpoint is one warning and the run goes on.
/// </summary>
[Collection(nameof(ConsoleCapture))]
public class UserErrorOutputTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private static (int ExitCode, TestHostProcess Process) Run(TempFolder folder, params string[] arguments)
    {
        var process = new TestHostProcess(folder.Path, arguments);
        return (process.WaitForExit(Timeout), process);
    }

    private static string Data(TempFolder folder) =>
        folder.File("train.jsonl", string.Concat(Enumerable.Range(0, 12).Select(i => $"{{\"text\":\"line {i} of the tiny corpus\"}}\n")));

    private static void AssertNoStackTrace(TestHostProcess process)
    {
        Assert.DoesNotContain("Hosting failed to start", process.Transcript);
        Assert.DoesNotMatch(@"\n\s+at [\w.]+\(", process.Transcript);
        Assert.DoesNotContain("Exception", process.Transcript);
    }

    [Fact]
    public void AValueThatDoesNotConvertPrintsOneLine()
    {
        using var folder = new TempFolder();
        var (exitCode, process) = Run(folder, $"--LoRA:Dataset={Data(folder)}", "--LoRA:Rank=eight");
        using (process)
        {
            Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
            Assert.Equal("error LORA210: LoRA:Rank = eight: not a valid Int32. (set on the command line)", process.Stderr.Trim());
            Assert.DoesNotContain(process.Stdout, l => l.Length > 0);
            AssertNoStackTrace(process);
        }
    }

    [Fact]
    public void AnOutputThatIsAFileIsRefusedBeforeTheFirstStep()
    {
        using var folder = new TempFolder();
        string output = folder.File("adapter", "not a folder");
        var (exitCode, process) = Run(folder, $"--LoRA:Dataset={Data(folder)}", $"--LoRA:Output={output}", "--LoRA:MaxSteps=2");
        using (process)
        {
            Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
            Assert.Equal($"error LORA210: LoRA:Output = {output}: is a file, not a folder. (set on the command line)", process.Stderr.Trim());
            Assert.DoesNotContain(process.Stdout, l => l.StartsWith("lora-progress:"));
            Assert.False(Directory.Exists(output + ".checkpoints"));
            Assert.Equal("not a folder", File.ReadAllText(output));
            AssertNoStackTrace(process);
        }
    }

    [Fact]
    public void ADamagedCheckpointIsOneWarningAndTrainingStartsOver()
    {
        using var folder = new TempFolder();
        string output = folder.Combine("adapter"), checkpoints = output + ".checkpoints";
        // Any interrupted run leaves last/; its rng.bin cut short is what used to abort the process (exit 134).
        using (var cancel = new CancellationTokenSource())
        {
            var options = new TrainerOptions { MaxSteps = 4, BatchSize = 4, CheckpointDirectory = checkpoints };
            new LoraTrainer(new TinyCausalLm(new LoraOptions(4, 4)), options)
                .Train(ToyData.Text(), null, ByteTokenizer.Padding, new CancelAtFirstStep(cancel), cancel.Token);
        }
        string rng = Path.Combine(checkpoints, "last", "rng.bin");
        File.WriteAllBytes(rng, File.ReadAllBytes(rng)[..64]);

        var (exitCode, process) = Run(folder, $"--LoRA:Dataset={Data(folder)}", $"--LoRA:Output={output}", "--LoRA:MaxSteps=2", "--LoRA:Threads=1");
        using (process)
        {
            Assert.True(exitCode == FineTuningExitCodes.Success, process.Transcript);
            var warning = Assert.Single(process.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"{rng}: warning LORA220: the checkpoint cannot be used: 64 bytes, but ", warning);
            Assert.Contains($"the damaged checkpoint was moved to {checkpoints}.damaged-", warning);
            Assert.True(File.Exists(Path.Combine(output, "adapter_model.safetensors")));
            var kept = Assert.Single(Directory.GetDirectories(folder.Path, "adapter.checkpoints.damaged-*"));
            Assert.Equal(64, new FileInfo(Path.Combine(kept, "last", "rng.bin")).Length);
            AssertNoStackTrace(process);
        }
    }

    private sealed class CancelAtFirstStep(CancellationTokenSource source) : ITrainingObserver
    {
        public void OnStep(StepProgress progress) => source.Cancel();
    }
}
