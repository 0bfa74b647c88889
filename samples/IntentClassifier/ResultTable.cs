using System.Globalization;

namespace IntentClassifier;

/// <summary>The comparison of the three modes as a Markdown table (the form docs/benchmarks.md uses).</summary>
public static class ResultTable
{
    public static string Markdown(IReadOnlyList<RunResult> results, FineTuneSettings settings)
    {
        var culture = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            $"{settings.Epochs} epochs, batch {settings.BatchSize}, {settings.Threads} threads, seed {settings.Seed}",
            "",
            "| mode | validation accuracy | trainable parameters | % of model | mean step | steps | peak RSS | saved weights |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        };
        foreach (var r in results)
        {
            lines.Add(string.Create(culture,
                $"| {r.Mode} | {r.ValidationAccuracy:P1} | {r.TrainableParameters:N0} | {100.0 * r.TrainableParameters / r.ModelParameters:F2} % | " +
                $"{r.MeanStepMilliseconds:F0} ms | {r.Steps} | {r.PeakRssBytes / 1048576.0:F0} MiB | {r.SavedBytes / 1024.0:N0} KiB ({r.SavedWhat}) |"));
        }
        return string.Join(Environment.NewLine, lines);
    }
}
