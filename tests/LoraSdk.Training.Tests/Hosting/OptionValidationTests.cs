using LoraSdk.Hosting;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>Start-up validation of the LoRA section: exit code 2 and LORA210 lines that name key, value and origin.</summary>
[Collection(nameof(ConsoleCapture))]
public class OptionValidationTests
{
    private static TempFolder WithAppSettings(string loraSection)
    {
        var folder = new TempFolder();
        folder.File("train.jsonl", "{\"text\":\"hello there\"}\n{\"text\":\"general kenobi\"}\n");
        folder.File("appsettings.json", "{\n  \"LoRA\": {\n    \"Dataset\": \"" + folder.Combine("train.jsonl") + "\",\n" + loraSection + "\n  }\n}\n");
        return folder;
    }

    [Fact]
    public async Task AnInvalidValueInAppSettingsPointsAtItsLine()
    {
        using var folder = WithAppSettings("    \"Output\": \"adapter\",\n    \"Rank\": -3");
        var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path);
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        Assert.Equal($"{folder.Combine("appsettings.json")}(5,5): error LORA210: LoRA:Rank = -3: must be greater than 0.", stderr.Trim());
        Assert.False(Directory.Exists(folder.Combine("adapter")));
    }

    [Fact]
    public async Task CommandLineValuesAreValidatedAndNamed()
    {
        using var folder = WithAppSettings("    \"Epochs\": 1");
        var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path, "train", "--LoRA:BatchSize=0", "--LoRA:Dropout=1.5");
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        var lines = stderr.Trim().Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Contains("error LORA210: LoRA:Dropout = 1.5: must be in [0, 1). (set on the command line)", lines);
        Assert.Contains("error LORA210: LoRA:BatchSize = 0: must be at least 1. (set on the command line)", lines);
    }

    [Fact]
    public async Task AValueThatDoesNotConvertIsReported()
    {
        using var folder = WithAppSettings("    \"Epochs\": 1");
        var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path, "--LoRA:Rank=eight");
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        Assert.Equal("error LORA210: LoRA:Rank = eight: not a valid Int32. (set on the command line)", stderr.Trim());
    }

    [Fact]
    public async Task AnUnknownKeyIsReportedWithTheKnownOnes()
    {
        using var folder = WithAppSettings("    \"Rnak\": 8");
        var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path);
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        Assert.StartsWith($"{folder.Combine("appsettings.json")}(4,5): error LORA210: LoRA:Rnak = 8: unknown option (known: Alpha, BaseModel,", stderr.Trim());
    }

    [Fact]
    public async Task EnvironmentVariablesBindAndAreNamed()
    {
        using var folder = WithAppSettings("    \"Epochs\": 1");
        Environment.SetEnvironmentVariable("LoRA__MaxLength", "1");
        try
        {
            var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path);
            Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
            Assert.Equal("error LORA210: LoRA:MaxLength = 1: must be at least 2. (set by environment variable LoRA__MaxLength)", stderr.Trim());
        }
        finally
        {
            Environment.SetEnvironmentVariable("LoRA__MaxLength", null);
        }
    }

    [Fact]
    public async Task AMissingDatasetIsReportedRelativeToTheContentRoot()
    {
        using var folder = WithAppSettings("    \"Epochs\": 1");
        var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path, "--LoRA:Dataset=nope.jsonl");
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        Assert.Equal($"error LORA210: LoRA:Dataset = {folder.Combine("nope.jsonl")}: no such file. (set on the command line)", stderr.Trim());
    }

    [Fact]
    public async Task BadDataStopsBeforeTrainingWithoutAnAdapter()
    {
        using var folder = WithAppSettings("    \"Output\": \"" + "adapter" + "\"");
        var data = folder.File("bad.jsonl", "{\"text\":\"fine\"}\n{\"text\": 42}\n");
        var output = folder.Combine("adapter");
        var (exitCode, stderr) = await InProcessHost.RunAsync(folder.Path, $"--LoRA:Dataset={data}", $"--LoRA:Output={output}");
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        Assert.Equal($"{data}(2,1): error LORA201: \"text\" must be a string, found a number.", stderr.Trim());
        Assert.False(Directory.Exists(output));
        Assert.False(Directory.Exists(output + ".checkpoints"));
    }
}
