using System.Globalization;
using LoraSdk.Charts;

namespace LoraSdk.Search;

/// <summary>
/// The search report's figure: the metric of every successful trial against rank and against learning rate
/// (whichever were searched; otherwise the first two numeric options, else the steps), one colour per round
/// of successive halving, the winner ringed. The incumbent's unset keys (as declared by the model) have no place on
/// an axis: its trials are left out of that panel.
/// </summary>
internal static class SearchPlotSvg
{
    private static readonly string[] RoundColours = ["#9ecae1", "#4292c6", "#08519c", "#08306b"];

    public static string Render(SearchSpace space, IReadOnlyList<TrialRecord> trials, TrialRecord winner, TrialRanking ranking, string title)
    {
        var succeeded = trials.Where(t => t.Result.Status == TrialStatus.Succeeded && ranking.Metric(t.Result) is { } m && double.IsFinite(m)).ToList();
        var axes = AxesFor(space);
        var chart = new SvgChart(title, Math.Max(1, axes.Count), panelWidth: 480);
        double Metric(TrialRecord t) => ranking.Metric(t.Result)!.Value * (ranking.UsesAccuracy ? 100 : 1);
        string metricLabel = ranking.UsesAccuracy ? "validation accuracy (%)" : "validation loss";
        var y = SvgAxis.Spanning(metricLabel, succeeded.Select(Metric));
        for (int i = 0; i < axes.Count; i++)
        {
            var (label, value, logarithmic, ticks) = axes[i];
            var placed = succeeded.Where(t => value(t) is not null).ToList();
            var panel = chart.AddPanel(i, SvgAxis.Spanning(label, placed.Select(t => value(t)!.Value), logarithmic, ticks, "0.#####"), y);
            foreach (var round in placed.GroupBy(t => t.Request.Rung).OrderBy(g => g.Key))
                panel.Dots(round.Select(t => (value(t)!.Value, Metric(t))).ToList(), RoundColours[Math.Min(round.Key, RoundColours.Length - 1)],
                    $"round {round.Key + 1} ({round.Min(t => t.Request.Steps)}{(round.Max(t => t.Request.Steps) != round.Min(t => t.Request.Steps) ? "+" : "")} steps)");
            if (value(winner) is { } x) panel.Ring(x, Metric(winner), "#d62728", "winner");
        }
        return chart.Render();
    }

    private static List<(string Label, Func<TrialRecord, double?> Value, bool Logarithmic, IReadOnlyList<double>? Ticks)> AxesFor(SearchSpace space)
    {
        var numeric = space.Dimensions
            .Where(d => d.Values.Count > 1 && d.Values.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            .ToList();
        var preferred = numeric.Where(d => d.Key is "Rank" or "LearningRate").ToList();
        var chosen = (preferred.Count > 0 ? preferred : numeric).Take(2).ToList();
        if (chosen.Count == 0) return [("steps", t => t.Request.Steps, false, null)];
        static double? Parse(string? text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;
        return chosen.Select(d =>
        {
            var values = d.Values.Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList();
            bool logarithmic = SearchableOption.Find(d.Key)!.IsScale && values.All(v => v > 0);
            return (d.Key, (Func<TrialRecord, double?>)(t => Parse(t.Request.Candidate[d.Key])),
                logarithmic, (IReadOnlyList<double>?)values);
        }).ToList();
    }
}
