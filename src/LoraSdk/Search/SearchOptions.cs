using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace LoraSdk.Search;

/// <summary>
/// The search keys of the <c>LoRA</c> section (<c>--LoRA:Search=...</c>, or the build item's <c>Search="..."</c>
/// metadata): when <see cref="Search"/> is set, the run is a search whose winner becomes the adapter.
/// </summary>
internal sealed class SearchOptions
{
    /// <summary>
    /// Trials run at once by default. Measured on the 2-core development machine (docs/benchmarks.md, "Rank/hyper-parameter
    /// search"): two trials × 1 thread took 0.75× the wall time of one trial × 2 threads (start-up, loading and
    /// evaluation are mostly single-threaded and overlap), so two at once, each with half the cores.
    /// </summary>
    public const int DefaultMaxParallelTrials = 2;

    /// <summary>The search space, e.g. <c>Rank=4,8,16;LearningRate=3e-4,1e-3</c> (<see cref="SearchSpaceParser"/>).</summary>
    public string? Search { get; set; }

    /// <summary>Training allowed for all trials together, in full runs (one run = the configured Epochs/MaxSteps).</summary>
    public double Budget { get; set; } = 3;

    /// <summary>
    /// Keep the run's own settings (what a plain <c>train</c> would use) as the incumbent: a candidate trained in
    /// every round, never pruned and trained in full, so the search never returns a worse validation metric than not
    /// searching. Needs a budget of at least 2 (it and the last challenger each train a full run).
    /// </summary>
    public bool Incumbent { get; set; } = true;

    /// <summary>Trials trained at once, each in its own process.</summary>
    public int MaxParallelTrials { get; set; } = DefaultMaxParallelTrials;

    /// <summary>Keep every trial's adapter in <c>&lt;Output&gt;.search/trials/</c> (default: only the winner's, as the adapter).</summary>
    public bool KeepTrialAdapters { get; set; }

    /// <summary>Whether this run is a search (<see cref="Search"/> is set).</summary>
    public bool IsSearch => !string.IsNullOrWhiteSpace(Search);

    /// <summary>The keys this class adds to the <c>LoRA</c> section (the options validator knows them).</summary>
    public static IEnumerable<string> Keys => typeof(SearchOptions).GetProperties().Where(p => p.CanWrite).Select(p => p.Name);

    /// <summary>Binds the search keys of the configuration section <paramref name="section"/>.</summary>
    public static SearchOptions From(IConfiguration configuration, string section)
    {
        var options = new SearchOptions();
        configuration.GetSection(section).Bind(options);
        return options;
    }

    /// <summary>Each problem as <c>Key = value: rule</c>, like the other options' checks.</summary>
    public IEnumerable<(string Key, string Value, string Problem)> Problems()
    {
        if (!IsSearch) yield break;
        string? spaceProblem = null;
        try
        {
            SearchSpaceParser.Parse(Search);
        }
        catch (SearchSpaceException e)
        {
            spaceProblem = e.Message;
        }
        if (spaceProblem is not null) yield return (nameof(Search), Search!, spaceProblem);
        if (!(Budget >= 1) || !double.IsFinite(Budget))
            yield return (nameof(Budget), Budget.ToString(CultureInfo.InvariantCulture), "must be at least 1 (full training runs for all trials together).");
        else if (Incumbent && Budget < SuccessiveHalvingPlan.MinimumBudgetWithIncumbent)
            yield return (nameof(Budget), Budget.ToString(CultureInfo.InvariantCulture),
                "must be at least 2 while the configured settings are kept as the incumbent (they and the last challenger each train a full run); raise it, or set Incumbent=false.");
        if (MaxParallelTrials < 1)
            yield return (nameof(MaxParallelTrials), MaxParallelTrials.ToString(CultureInfo.InvariantCulture), "must be at least 1.");
    }
}
