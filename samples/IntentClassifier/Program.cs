using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using IntentClassifier;

// dotnet run -c Release --project samples/IntentClassifier [-- all|probe|lora|full] [--epochs N] [--threads N] [--base int8|nf4|nf4doublequant]
//
// "all" (the default) runs each mode in its own child process, so each peak RSS is that mode's alone, and prints
// the comparison table. A single mode prints its result as one "result: {json}" line.
var options = ParseArguments(args);
string dataDirectory = Path.Combine(AppContext.BaseDirectory, "data");
string outputDirectory = Path.Combine(Path.GetTempPath(), "lorasdk-intent-classifier");

if (options.Mode is null)
{
    var results = Enum.GetValues<TrainingMode>().Select(mode => RunChild(mode, options.Settings)).ToList();
    Console.WriteLine();
    Console.WriteLine(ResultTable.Markdown(results, options.Settings));
    return 0;
}

var train = IntentData.Read(Path.Combine(dataDirectory, "train.jsonl"));
var validation = IntentData.Read(Path.Combine(dataDirectory, "validation.jsonl"));
Console.Error.WriteLine($"{options.Mode}: {train.Count} training and {validation.Count} validation examples, {options.Settings.Epochs} epochs, {options.Settings.Threads} threads");
var result = FineTuner.Run(options.Mode.Value, options.Settings, train, validation, outputDirectory);
Console.WriteLine("result: " + JsonSerializer.Serialize(result));
return 0;

static RunResult RunChild(TrainingMode mode, FineTuneSettings settings)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!)
    {
        RedirectStandardOutput = true,
        ArgumentList = { mode.ToString().ToLowerInvariant(), "--epochs", settings.Epochs.ToString(CultureInfo.InvariantCulture), "--threads", settings.Threads.ToString(CultureInfo.InvariantCulture), "--base", settings.Base.ToString() },
    };
    // Running the app host of a framework-dependent app: pass the .dll through dotnet when the host is dotnet itself.
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Insert(0, typeof(FineTuner).Assembly.Location);
    using var child = Process.Start(start)!;
    string? line, resultLine = null;
    while ((line = child.StandardOutput.ReadLine()) is not null)
    {
        if (line.StartsWith("result: ", StringComparison.Ordinal)) resultLine = line["result: ".Length..];
        else Console.WriteLine(line);
    }
    child.WaitForExit();
    if (child.ExitCode != 0 || resultLine is null) throw new InvalidOperationException($"The {mode} run failed (exit code {child.ExitCode}).");
    var result = JsonSerializer.Deserialize<RunResult>(resultLine)!;
    Console.WriteLine($"{mode}: validation accuracy {result.ValidationAccuracy:P1}, {result.MeanStepMilliseconds:F0} ms/step");
    return result;
}

static (TrainingMode? Mode, FineTuneSettings Settings) ParseArguments(string[] args)
{
    TrainingMode? mode = null;
    var settings = new FineTuneSettings();
    for (int i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--epochs": settings = settings with { Epochs = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
            case "--threads": settings = settings with { Threads = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
            case "--base": settings = settings with { Base = Enum.Parse<LoraSdk.LoraBase>(args[++i], ignoreCase: true) }; break;
            case "all": mode = null; break;
            default:
                mode = Enum.TryParse<TrainingMode>(args[i], ignoreCase: true, out var parsed)
                    ? parsed
                    : throw new ArgumentException($"Unknown argument '{args[i]}'; use all, probe, lora, full, --epochs N, --threads N or --base float32|int8|nf4|nf4doublequant.");
                break;
        }
    }
    return (mode, settings);
}
