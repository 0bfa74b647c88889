using System.Globalization;
using System.Text;

namespace LoraSdk.Search;

/// <summary>
/// The evidence of a search, <c>&lt;Output&gt;.search.md</c> beside the adapter: what was searched and how, the
/// winner, a table of every trial (settings, steps, metric, trainable parameters, time, status) and the plot.
/// </summary>
internal static class SearchReport
{
    public static string Markdown(string name, SearchSpace space, SearchOptions options, SuccessiveHalvingPlan plan, int gridSize,
        SearchOutcome outcome, TrialRanking ranking, long seed, string plotFileName, string? adapter)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"# Search: {name}");
        text.AppendLine();
        Line($"Search space `{space}`: {gridSize} candidates{(plan.CandidateIndexes.Count < gridSize ? $", a seeded sample of {plan.CandidateIndexes.Count} searched" : "")}. ");
        Line($"Budget {options.Budget} full runs; successive halving keeping 1/{SuccessiveHalvingPlan.Eta} per round, ranked by {ranking.MetricName}; seed {seed}. ");
        Line($"Rounds (a trial runs the first part of the candidate's full run, a promoted one continues it): {string.Join("; ", plan.Rungs.Select((r, i) => $"{i + 1}: {r.Candidates}{(plan.Incumbent ? " + 1" : "")} × {r.Fraction * 100:0.#} % of a run"))}. ");
        if (outcome.Incumbent is { } incumbent)
            Line($"The configured settings ({incumbent.Label}) are the incumbent: trained in every round, never pruned, trained in full.");
        text.AppendLine();
        if (outcome.Winner is { } winner)
        {
            Line($"**Winner: {winner.Request.Candidate.Label}**{(outcome.IncumbentWon ? " (the configured settings)" : "")}: {Metric(ranking, winner.Result)} after {winner.Request.Steps} steps; adapter `{adapter}`.");
            if (outcome.IncumbentWon) text.AppendLine("No candidate beat the configured settings.");
            else if (outcome.IncumbentRun is { } configured)
                Line($"The configured settings scored {Metric(ranking, configured.Result)} after the same full run{(configured.Result.Status == TrialStatus.Failed ? " (failed)" : "")}.");
        }
        else
            Line($"**No winner**: {outcome.Failure}");
        int failed = outcome.Trials.Count(t => t.Result.Status == TrialStatus.Failed);
        Line($"{outcome.Trials.Count} trials ({failed} failed), {outcome.Trials.Sum(t => t.Result.Seconds):0.0} s of trial time in all (each trial's process start-up included).");
        text.AppendLine();
        // Classification ranks by accuracy and shows the loss beside it; a language model's metric is the loss itself.
        string lossColumn = ranking.UsesAccuracy ? " validation loss |" : "";
        text.AppendLine($"| round | settings | steps | {ranking.MetricName} |{lossColumn} trainable parameters | time (s) | status |");
        text.AppendLine("| --- | --- | --- | --- |" + (ranking.UsesAccuracy ? " --- |" : "") + " --- | --- | --- |");
        foreach (var trial in outcome.Trials.OrderBy(t => t.Request.Rung).ThenBy(t => t, ranking))
        {
            var r = trial.Result;
            string status = r.Status == TrialStatus.Succeeded
                ? trial == outcome.Winner ? "**winner**" : "ok"
                : "failed: " + (r.Failure ?? "").Replace("|", "\\|");
            string configuredMark = trial.Request.Candidate == outcome.Incumbent ? " (configured)" : "";
            Line($"| {trial.Request.Rung + 1} | {trial.Request.Candidate.Label}{configuredMark} | {trial.Request.Steps} | {Metric(ranking, r)} |{(ranking.UsesAccuracy ? $" {Number(r.ValidationLoss)} |" : "")} {r.TrainableParameters?.ToString("N0", CultureInfo.InvariantCulture) ?? "n/a"} | {r.Seconds:0.0} | {status} |");
        }
        if (outcome.Winner is not null)
        {
            text.AppendLine();
            Line($"![{ranking.MetricName} of every trial; the winner ringed]({plotFileName})");
        }
        return text.ToString();
    }

    public static string Metric(TrialRanking ranking, TrialResult result) =>
        ranking.UsesAccuracy
            ? result.ValidationAccuracy is { } a ? (a * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %" : "n/a"
            : Number(result.ValidationLoss);

    private static string Number(double? value) => value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "n/a";
}
