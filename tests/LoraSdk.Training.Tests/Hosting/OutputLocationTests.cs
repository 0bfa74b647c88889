using LoraSdk.Hosting;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>Every place a run writes is checked at start-up (LORA210, exit 2), never after the training it would waste.</summary>
[Collection(nameof(ConsoleCapture))]
public class OutputLocationTests
{
    private static async Task<string> FailsAtStartUp(TempFolder folder, params string[] arguments)
    {
        var data = folder.File("train.jsonl", "{\"text\":\"hello there\"}\n{\"text\":\"general kenobi\"}\n");
        var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path, [$"--LoRA:Dataset={data}", "--LoRA:MaxSteps=1", .. arguments]);
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        return stderr.Trim();
    }

    [Fact]
    public async Task AnOutputBelowAFileCannotBeCreated()
    {
        using var folder = new TempFolder();
        string file = folder.File("notes.txt", "mine");
        string output = Path.Combine(file, "adapter");
        var lines = (await FailsAtStartUp(folder, $"--LoRA:Output={output}")).Split('\n');
        // One line per problem: the adapter folder, and the checkpoint folder beside it.
        Assert.Equal(
        [
            $"error LORA210: LoRA:Output = {output}: cannot be created: {file} is a file. (set on the command line)",
            $"error LORA210: LoRA:Output = {output}: checkpoint folder {output}.checkpoints cannot be created: {file} is a file. (set on the command line)",
        ], lines.Select(l => l.TrimEnd()));
    }

    [Fact]
    public async Task AnOutputFolderOfOtherFilesIsNotFilledWithAnAdapter()
    {
        using var folder = new TempFolder();
        string output = folder.Combine("documents");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "report.docx"), "mine");
        Assert.Equal($"error LORA210: LoRA:Output = {output}: is a folder that holds other files and no adapter; the adapter would be mixed into it. Choose a new or empty folder. (set on the command line)",
            await FailsAtStartUp(folder, $"--LoRA:Output={output}"));
        Assert.Equal(["report.docx"], Directory.GetFileSystemEntries(output).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ACheckpointFolderHoldingOtherFilesIsRefused()
    {
        using var folder = new TempFolder();
        string checkpoints = folder.Combine("ckpt");
        Directory.CreateDirectory(checkpoints);
        File.WriteAllText(Path.Combine(checkpoints, "notes.txt"), "mine");
        string stderr = await FailsAtStartUp(folder, $"--LoRA:Output={folder.Combine("adapter")}", $"--LoRA:CheckpointDirectory={checkpoints}");
        Assert.Equal($"error LORA210: LoRA:CheckpointDirectory = {checkpoints}: checkpoint folder {checkpoints} holds notes.txt, which is not a checkpoint; a damaged checkpoint folder is moved aside whole, so it must hold only checkpoints. (set on the command line)", stderr);
    }

    [Fact]
    public async Task LeftoversOfAnInterruptedCheckpointSaveAreNotForeign()
    {
        using var folder = new TempFolder();
        string output = folder.Combine("adapter"), checkpoints = output + ".checkpoints";
        foreach (var leftover in new[] { $".last.tmp-{Guid.NewGuid():N}", $"last.old-{Guid.NewGuid():N}", $".best.tmp-{Guid.NewGuid():N}" })
            Directory.CreateDirectory(Path.Combine(checkpoints, leftover));
        var data = folder.File("train.jsonl", "{\"text\":\"hello there\"}\n{\"text\":\"general kenobi\"}\n");
        var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path, $"--LoRA:Dataset={data}", "--LoRA:MaxSteps=1", $"--LoRA:Output={output}");
        Assert.True(exitCode == FineTuningExitCodes.Success, stderr);
        Assert.True(File.Exists(Path.Combine(output, "adapter_config.json")));
    }
}
