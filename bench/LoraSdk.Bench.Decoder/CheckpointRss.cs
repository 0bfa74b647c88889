using System.Diagnostics;
using System.Text.Json;

namespace LoraSdk.Bench.Decoder;

/// <summary>
/// Issue 26's memory goal for gradient checkpointing: one LoRA(q,v) training step (forward, backward, AdamW) at
/// <c>--length</c> tokens (default 1,024, batch 1: long enough that the 30 layers' activations, not the 540 MB of
/// float32 weights, dominate the step's memory) run twice, without and with <c>CausalLM.GradientCheckpointing</c>, each
/// in a child process of its own (part <c>train-lora</c>) so that each peak RSS (VmHWM) is its own. Reports both peaks
/// and their ratio against the goal (≤ 0.5).
/// </summary>
public static class CheckpointRss
{
    public sealed record Result(int Batch, int Length, long PeakRssWithoutBytes, long PeakRssWithBytes, double Ratio, double Goal, bool Met,
        double StepMillisecondsWithout, double StepMillisecondsWith);

    /// <param name="shapeArguments">The arguments that choose the shape (<c>--tiny</c>, <c>--length</c>, <c>--batch</c>, <c>--threads</c>), passed on to both children.</param>
    public static Result Run(BenchShape shape, IReadOnlyList<string> shapeArguments, int warmup, int steps)
    {
        string[] common = ["train-lora", "--length", shape.Length.ToString(), "--batch", shape.Batch.ToString(),
            "--warmup", warmup.ToString(), "--steps", steps.ToString(), .. shapeArguments];
        var without = Child(common);
        var with = Child([.. common, "--checkpointing"]);
        if (!with.GradientCheckpointing || without.GradientCheckpointing)
            throw new InvalidOperationException("A child process did not run the checkpointing setting it was given.");
        double ratio = (double)with.PeakRssBytes / without.PeakRssBytes;
        const double goal = 0.5;
        return new Result(shape.Batch, shape.Length, without.PeakRssBytes, with.PeakRssBytes, ratio, goal, ratio <= goal,
            without.MedianStepMilliseconds, with.MedianStepMilliseconds);
    }

    /// <summary>Runs this bench again as a child process with <paramref name="arguments"/> and reads its result line.</summary>
    private static TrainStep.Result Child(string[] arguments)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("The process path is unknown; run the parts train-lora with and without --checkpointing yourself.");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        // Under `dotnet <dll>` the host is dotnet and needs the assembly; the apphost runs itself.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(CheckpointRss).Assembly.Location);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Console.Error.WriteLine($"checkpoint-rss: {string.Join(' ', arguments)}");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string? line = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("result: ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"The child process '{string.Join(' ', arguments)}' exited with {process.ExitCode} and printed no result line:\n{output}");
        return JsonSerializer.Deserialize<TrainStep.Result>(line["result: ".Length..])
            ?? throw new InvalidOperationException($"The child process printed an empty result: {line}");
    }
}
