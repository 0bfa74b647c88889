using System.Diagnostics;
using System.Text.Json;

namespace LoraSdk.Bench.Encoder;

/// <summary>
/// Runs every part for every implementation in child processes, round after round, each round visiting the
/// implementations in turn; reports the median over rounds of each child's median.
/// </summary>
public static class Comparison
{
    public static readonly string[] Parts = ["train-lora", "train-dora", "train-full", "inference", "inference-all"];

    /// <summary>Parts only the SDK has: the others skip them (train-dora: DoRA is the SDK's).</summary>
    private static bool Runs(string implementation, string part) => part != "train-dora" || implementation == Sdk;

    public const string PyTorch = "pytorch", Hand = "hand", Sdk = "sdk";

    public sealed record Results(IReadOnlyDictionary<(string Implementation, string Part), IReadOnlyList<JsonElement>> Runs, IReadOnlyList<string> Implementations, string LoadAverages)
    {
        public double Median(string implementation, string part, string field) =>
            Timing.Median(Runs[(implementation, part)].Select(r => r.GetProperty(field).GetDouble()));

        public bool Has(string implementation) => Implementations.Contains(implementation);
    }

    public static Results Run(BenchSettings settings)
    {
        string[] implementations = settings.PyTorchEnvironment is null ? [Hand, Sdk] : [PyTorch, Hand, Sdk];
        var runs = new Dictionary<(string, string), IReadOnlyList<JsonElement>>();
        var loads = new List<string> { ProcessCounters.LoadAverage() };
        for (int round = 0; round < settings.Rounds; round++)
        {
            foreach (var part in Parts)
            {
                foreach (var implementation in implementations.Where(i => Runs(i, part)))
                {
                    var result = implementation == PyTorch ? PyTorchChild(part, settings) : DotnetChild(implementation, part, settings);
                    Console.Error.WriteLine($"round {round + 1}, {implementation} {part}: {result}");
                    var list = (List<JsonElement>)(runs.TryGetValue((implementation, part), out var existing) ? existing : runs[(implementation, part)] = new List<JsonElement>());
                    list.Add(result);
                }
            }
            loads.Add(ProcessCounters.LoadAverage());
        }
        return new Results(runs, implementations, string.Join(", ", loads));
    }

    private static JsonElement DotnetChild(string implementation, string part, BenchSettings settings)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(typeof(BenchShape).Assembly.Location);
        foreach (var argument in settings.ChildArguments(part)) start.ArgumentList.Add(argument);
        start.ArgumentList.Add("--impl");
        start.ArgumentList.Add(implementation);
        return ResultOf(start, $"{implementation} {part}");
    }

    /// <summary>The PyTorch script in its private environment (made by the team's pytorch-env.sh on first use).</summary>
    private static JsonElement PyTorchChild(string part, BenchSettings settings)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "pytorch", "encoder_bench.py");
        var arguments = string.Join(" ", settings.ChildArguments(part).Select(Quote));
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($". \"$(bash {Quote(settings.PyTorchEnvironment!)})\" && exec python3 {Quote(script)} {arguments}");
        return ResultOf(start, $"pytorch {part}");
    }

    private static JsonElement ResultOf(ProcessStartInfo start, string what)
    {
        using var child = Process.Start(start)!;
        string? line, result = null;
        while ((line = child.StandardOutput.ReadLine()) is not null)
        {
            if (line.StartsWith("result: ", StringComparison.Ordinal)) result = line["result: ".Length..];
        }
        child.WaitForExit();
        if (child.ExitCode != 0 || result is null) throw new InvalidOperationException($"Benchmark part '{what}' failed (exit code {child.ExitCode}).");
        return JsonDocument.Parse(result).RootElement.Clone();
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

}
