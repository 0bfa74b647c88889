using System.Diagnostics;
using System.Text.Json;

namespace LoraSdk.Bench.Quantization;

/// <summary>Runs both parts for every base in child processes, round after round, the bases in turn within each round.</summary>
public static class QuantComparison
{
    public static readonly string[] Parts = ["intent", "encoder"];

    public sealed record Results(Dictionary<(string Part, LoraBase Base), List<JsonElement>> Runs, string LoadAverages);

    public static Results Run(QuantBenchSettings settings)
    {
        var runs = new Dictionary<(string, LoraBase), List<JsonElement>>();
        var loads = new List<string> { ProcessCounters.LoadAverage() };
        for (int round = 0; round < settings.Rounds; round++)
        {
            foreach (var part in Parts)
            {
                foreach (var kind in QuantBenchSettings.Bases)
                {
                    var result = Child(settings, part, kind);
                    Console.Error.WriteLine($"round {round + 1}, {part} {kind}: {result}");
                    (runs.TryGetValue((part, kind), out var list) ? list : runs[(part, kind)] = []).Add(result);
                }
            }
            loads.Add(ProcessCounters.LoadAverage());
        }
        return new Results(runs, string.Join(", ", loads));
    }

    private static JsonElement Child(QuantBenchSettings settings, string part, LoraBase kind)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(typeof(QuantComparison).Assembly.Location);
        foreach (var argument in settings.ChildArguments(part, kind)) start.ArgumentList.Add(argument);
        using var child = Process.Start(start)!;
        string? line, result = null;
        while ((line = child.StandardOutput.ReadLine()) is not null)
        {
            if (line.StartsWith("result: ", StringComparison.Ordinal)) result = line["result: ".Length..];
        }
        child.WaitForExit();
        if (child.ExitCode != 0 || result is null) throw new InvalidOperationException($"Benchmark part '{part} {kind}' failed (exit code {child.ExitCode}).");
        return JsonDocument.Parse(result).RootElement.Clone();
    }
}
