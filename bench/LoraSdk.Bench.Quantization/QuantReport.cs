using System.Globalization;
using System.Text.Json;

namespace LoraSdk.Bench.Quantization;

/// <summary>The comparison as Markdown tables: medians over rounds, ratios against the float32 base.</summary>
public static class QuantReport
{
    private const double MiB = 1024 * 1024;

    public static string Markdown(QuantBenchSettings settings, QuantComparison.Results results)
    {
        var c = CultureInfo.InvariantCulture;
        double Median(string part, LoraBase kind, string field) =>
            Middle(results.Runs[(part, kind)].Select(r => r.GetProperty(field).GetDouble()));
        var lines = new List<string>
        {
            string.Create(c, $"{settings.Rounds} rounds (median), {settings.Threads} threads; load average at start and after each round: {results.LoadAverages}"),
            "",
            string.Create(c, $"MiniLM IntentClassifier, LoRA r = 8 on query/value + head, {settings.Epochs} epochs, batch 16:"),
            "",
            "| base | adapted base weights | × float32 | training peak RSS | Δ vs float32 | process peak RSS | mean step | × float32 | validation accuracy |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        };
        foreach (var kind in QuantBenchSettings.Bases)
        {
            double bytes = Median("intent", kind, "BaseWeightBytes"), float32 = Median("intent", kind, "BaseWeightFloat32Bytes");
            double peak = Median("intent", kind, "TrainingPeakRssBytes"), step = Median("intent", kind, "MeanStepMilliseconds");
            lines.Add(string.Create(c,
                $"| {kind} | {bytes / MiB:F2} MiB | {bytes / float32:F3} | {peak / MiB:F0} MiB | {(peak - Median("intent", LoraBase.Float32, "TrainingPeakRssBytes")) / MiB:+0;-0;0} MiB | " +
                $"{Median("intent", kind, "PeakRssBytes") / MiB:F0} MiB | {step:F0} ms | {step / Median("intent", LoraBase.Float32, "MeanStepMilliseconds"):F2} | {Median("intent", kind, "ValidationAccuracy"):P1} |"));
        }
        lines.AddRange(
        [
            "",
            "Encoder benchmark shape (MiniLM L6, batch 8 × 128), LoRA r = 8 on all six Linears per layer + head, AdamW step:",
            "",
            "| base | adapted base weights | × float32 | saved | training peak RSS | Δ vs float32 | median step | × float32 |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]);
        foreach (var kind in QuantBenchSettings.Bases)
        {
            double bytes = Median("encoder", kind, "BaseWeightBytes"), float32 = Median("encoder", kind, "BaseWeightFloat32Bytes");
            double peak = Median("encoder", kind, "TrainingPeakRssBytes"), step = Median("encoder", kind, "MedianStepMilliseconds");
            lines.Add(string.Create(c,
                $"| {kind} | {bytes / MiB:F2} MiB | {bytes / float32:F3} | {(float32 - bytes) / MiB:F1} MiB | {peak / MiB:F0} MiB | " +
                $"{(peak - Median("encoder", LoraBase.Float32, "TrainingPeakRssBytes")) / MiB:+0;-0;0} MiB | {step:F0} ms | {step / Median("encoder", LoraBase.Float32, "MedianStepMilliseconds"):F2} |"));
        }
        return string.Join(Environment.NewLine, lines);
    }

    private static double Middle(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int half = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
    }
}
