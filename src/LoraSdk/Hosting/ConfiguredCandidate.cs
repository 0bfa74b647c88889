using System.Globalization;
using LoraSdk.Search;
using LoraSdk.Training;

namespace LoraSdk.Hosting;

/// <summary>
/// The incumbent: the settings a plain <c>train</c> would use for each searched key, as a candidate. It is the grid's
/// candidate when one has exactly these values; else a candidate of its own (index after the grid). An adapter key
/// the configuration does not set (e.g. <c>Rank</c> declared only in the <c>[LoRA]</c> attribute) takes the value
/// the model's adapters have (the <c>declared</c> callback builds the model once, only when needed); when they
/// disagree (or no model is at hand) it is <see cref="Candidate.AsDeclared"/> and matches no grid candidate.
/// </summary>
internal static class ConfiguredCandidate
{
    public static Candidate Of(SearchSpace space, IReadOnlyList<Candidate> grid, LoraFineTuningOptions options, Func<LoraOptions?>? declared = null)
    {
        var model = new Lazy<LoraOptions?>(() => declared?.Invoke());
        var settings = space.Dimensions.Select(d => new KeyValuePair<string, string>(d.Key, ValueOf(d.Key, options, model) ?? Candidate.AsDeclared)).ToList();
        return grid.FirstOrDefault(c => c.Settings.SequenceEqual(settings)) ?? new Candidate(grid.Count, settings);
    }

    /// <summary>The effective value of <paramref name="key"/>, canonical; null for an adapter key whose value is not known.</summary>
    private static string? ValueOf(string key, LoraFineTuningOptions options, Lazy<LoraOptions?> model)
    {
        object? value = typeof(LoraOptionsOverride).GetProperty(key) is { } adapterKey
            ? adapterKey.GetValue(options.Adapter) ?? (model.Value is { } built ? typeof(LoraOptions).GetProperty(key)!.GetValue(built) : null)
            : typeof(TrainerOptions).GetProperty(key)?.GetValue(options.Trainer);
        return value is null ? null : SearchableOption.Find(key)!.Canonical(Convert.ToString(value, CultureInfo.InvariantCulture)!);
    }
}
