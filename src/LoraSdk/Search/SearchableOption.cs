using System.Globalization;
using LoraSdk.Training;

namespace LoraSdk.Search;

/// <summary>
/// A <c>LoRA</c> option that a search may vary, with the rule its values must keep. Each value is checked and
/// written back in canonical form (<c>3e-4</c> → <c>0.0003</c>), so two spellings of one setting are one candidate.
/// </summary>
internal sealed record SearchableOption(string Key, string Kind, Func<string, string?> Check, Func<string, string> Canonical)
{
    /// <summary>The options a search can vary. Budget-controlled ones (<c>Epochs</c>, <c>MaxSteps</c>) and <c>Seed</c> are not here.</summary>
    public static readonly IReadOnlyList<SearchableOption> All =
    [
        Integer("Rank", 1),
        Real("Alpha", v => v > 0, "must be a positive number"),
        Real("Dropout", v => v is >= 0 and < 1, "must be in [0, 1)"),
        Real("LearningRate", v => v > 0, "must be a positive number"),
        Real("WeightDecay", v => v >= 0, "must be at least 0"),
        Real("MaxGradNorm", v => v >= 0, "must be at least 0"),
        Integer("WarmupSteps", 0),
        Integer("BatchSize", 1),
        Integer("GradientAccumulationSteps", 1),
        Real("LoraPlusLrRatio", v => v > 0, "must be a positive number (1 is plain LoRA)"),
        Choice<bool>("UseRsLoRA"),
        Choice<bool>("UseDoRA"),
        Choice<LoraInit>("Init"),
        Choice<LearningRateDecay>("Decay"),
    ];

    /// <summary>Keys that look searchable but are not, with the reason (said instead of "unknown key").</summary>
    public static readonly IReadOnlyDictionary<string, string> Refused = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Targets"] = "the layers a [LoRA] class adapts are compiled into the model, so a run cannot change them; declare the targets in the attribute",
        ["Epochs"] = "the search sets each trial's length from Budget (successive halving)",
        ["MaxSteps"] = "the search sets each trial's length from Budget (successive halving)",
        ["Seed"] = "every trial uses the run's seed, so that trials differ only in the searched settings",
    };

    public static SearchableOption? Find(string key) => All.FirstOrDefault(o => o.Key.Equals(key, StringComparison.OrdinalIgnoreCase));

    /// <summary>True for options whose values span orders of magnitude (plotted on a log axis).</summary>
    public bool IsScale => Key is "Rank" or "Alpha" or "LearningRate" or "WeightDecay" or "LoraPlusLrRatio";

    private static SearchableOption Integer(string key, int minimum) => new(key, "a whole number",
        text => !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? "is not a whole number"
            : v < minimum ? $"must be at least {minimum}" : null,
        text => int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));

    private static SearchableOption Real(string key, Func<double, bool> valid, string rule) => new(key, "a number",
        text => !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) ? "is not a number"
            : !valid(v) ? rule : null,
        text => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture));

    private static SearchableOption Choice<T>(string key) where T : struct
    {
        var names = typeof(T) == typeof(bool) ? ["true", "false"] : Enum.GetNames(typeof(T));
        string? Match(string text) => names.FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
        return new(key, string.Join(" or ", names),
            text => Match(text) is null ? $"must be one of {string.Join(", ", names)}" : null,
            text => Match(text)!);
    }
}
