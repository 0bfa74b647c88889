using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LoraSdk.Bench.Encoder;
using static TorchSharp.torch;

// dotnet run -c Release --project bench/LoraSdk.Bench.Encoder [-- --threads 2 --steps 6 --runs 5]
//
// Without a part name it runs every part in a child process of its own (so each peak RSS belongs to one mode)
// and prints the Markdown table for docs/benchmarks.md. Parts: train-lora, train-full, inference.
var settings = BenchSettings.Parse(args);
var shape = new BenchShape();
set_num_threads(settings.Threads);

switch (settings.Part)
{
    case null:
        var lora = Child<TrainStepBench.Result>("train-lora", settings);
        var full = Child<TrainStepBench.Result>("train-full", settings);
        var inference = Child<InferenceBench.Result>("inference", settings);
        Console.WriteLine(Report.Markdown(shape, settings, lora, full, inference));
        return 0;
    case "train-lora":
        Emit(TrainStepBench.Run(shape, lora: true, settings.Warmup, settings.Steps));
        return 0;
    case "train-full":
        Emit(TrainStepBench.Run(shape, lora: false, settings.Warmup, settings.Steps));
        return 0;
    case "inference":
        Emit(InferenceBench.Run(shape, rounds: 3, settings.Warmup, settings.Runs));
        return 0;
    default:
        Console.Error.WriteLine($"Unknown part '{settings.Part}'; use train-lora, train-full or inference.");
        return 2;
}

static void Emit<T>(T result) => Console.WriteLine("result: " + JsonSerializer.Serialize(result));

static T Child<T>(string part, BenchSettings settings)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(typeof(BenchShape).Assembly.Location);
    foreach (var argument in settings.ChildArguments(part)) start.ArgumentList.Add(argument);
    using var child = Process.Start(start)!;
    string? line, result = null;
    while ((line = child.StandardOutput.ReadLine()) is not null)
    {
        if (line.StartsWith("result: ", StringComparison.Ordinal)) result = line["result: ".Length..];
    }
    child.WaitForExit();
    if (child.ExitCode != 0 || result is null) throw new InvalidOperationException($"Benchmark part '{part}' failed (exit code {child.ExitCode}).");
    Console.Error.WriteLine($"{part}: {result}");
    return JsonSerializer.Deserialize<T>(result)!;
}

/// <summary>Command-line settings; modest defaults because a 2-core machine runs them.</summary>
internal sealed record BenchSettings(string? Part, int Threads, int Warmup, int Steps, int Runs)
{
    public static BenchSettings Parse(string[] args)
    {
        var settings = new BenchSettings(null, Threads: 2, Warmup: 2, Steps: 6, Runs: 5);
        for (int i = 0; i < args.Length; i++)
        {
            settings = args[i] switch
            {
                "--threads" => settings with { Threads = Number(args[++i]) },
                "--warmup" => settings with { Warmup = Number(args[++i]) },
                "--steps" => settings with { Steps = Number(args[++i]) },
                "--runs" => settings with { Runs = Number(args[++i]) },
                _ => settings with { Part = args[i] },
            };
        }
        return settings;
    }

    public IEnumerable<string> ChildArguments(string part) =>
        [part, "--threads", Text(Threads), "--warmup", Text(Warmup), "--steps", Text(Steps), "--runs", Text(Runs)];

    private static int Number(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
