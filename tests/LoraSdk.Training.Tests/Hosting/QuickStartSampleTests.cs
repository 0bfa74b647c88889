using LoraSdk.Hosting;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>README's main job (samples/QuickStart), shortened to a few steps: it trains, writes the adapter and prints its path last.</summary>
public class QuickStartSampleTests
{
    [Fact]
    public void TheSampleWritesAnAdapterAndPrintsItsPathLast()
    {
        using var folder = new TempFolder();
        var output = folder.Combine("adapter");
        // Started from an unrelated folder, as `dotnet run --project samples/QuickStart` from the repository root is.
        using var run = new TestHostProcess(folder.Path, [$"--LoRA:Output={output}", "--LoRA:MaxSteps=4", "--LoRA:EvalEvery=2", "--LoRA:LogEvery=2"],
            program: "QuickStart.dll");
        Assert.True(run.WaitForExit(TimeSpan.FromMinutes(2)) == FineTuningExitCodes.Success, run.Transcript);
        Assert.Equal(output, run.Stdout[^1]);
        Assert.Contains(run.Stdout, l => l.StartsWith("lora-progress: {\"step\":4,\"totalSteps\":4,"));
        Assert.Contains("\"task_type\": \"CAUSAL_LM\"", File.ReadAllText(Path.Combine(output, "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(output, "adapter_model.safetensors")));
        Assert.True(File.Exists(output + ".loss.svg"));
    }
}
