using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraSdk.Shared;

namespace LoraSdk.Search;

/// <summary>
/// Makes the winning trial's adapter the run's adapter: its files copied into <c>Output</c> all at once
/// (<see cref="AtomicDirectory"/>), with <c>adapter_config.json</c> recording the winning settings under
/// <c>lorasdk_search</c> (PEFT ignores keys it does not know; LoraSdk keeps them as read), and its loss curve
/// as <c>&lt;Output&gt;.loss.svg</c>.
/// </summary>
internal static class WinnerAdapter
{
    public const string ConfigKey = "lorasdk_search";

    public static void Install(string trialAdapter, string output, TrialRecord winner, bool configured, TrialRanking ranking, int trials, string reportPath, Action<string> warn)
    {
        AtomicDirectory.Write(output, staging =>
        {
            foreach (string file in Directory.GetFiles(trialAdapter))
                File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
            string config = Path.Combine(staging, AdapterConfig.FileName);
            var json = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
            json[ConfigKey] = Describe(winner, configured, ranking, trials, Path.GetFileName(reportPath));
            File.WriteAllText(config, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }, warn: warn);
        string curve = FineTuneContract.LossCurvePath(trialAdapter);
        if (File.Exists(curve)) File.Copy(curve, FineTuneContract.LossCurvePath(output), overwrite: true);
    }

    private static JsonObject Describe(TrialRecord winner, bool configured, TrialRanking ranking, int trials, string report)
    {
        var settings = new JsonObject();
        foreach (var (key, value) in winner.Request.Candidate.SetValues) settings[key] = Value(value);
        return new JsonObject
        {
            ["settings"] = settings,
            ["configured"] = configured, // the incumbent (the run's own settings) won: no candidate beat it
            ["steps"] = winner.Request.Steps,
            ["metric"] = ranking.MetricName,
            ["value"] = ranking.Metric(winner.Result),
            ["trials"] = trials,
            ["report"] = report,
        };
    }

    /// <summary>Numbers and booleans as JSON numbers and booleans, names (Init, Decay) as strings.</summary>
    private static JsonNode? Value(string value) =>
        bool.TryParse(value, out bool b) ? JsonValue.Create(b)
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? JsonValue.Create(d)
        : JsonValue.Create(value);
}
