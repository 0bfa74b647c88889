using LoraSdk.Charts;
using LoraSdk.Files;
using LoraSdk.Training;

namespace LoraSdk.Hosting;

/// <summary>
/// Draws the loss curve as a small standalone SVG (training loss in blue, validation loss in orange, step on
/// x, loss on y): an image any browser or IDE shows, with no native plotting dependency.
/// </summary>
public static class LossCurveSvg
{
    /// <summary>A standalone SVG of the training (blue) and validation (orange) loss.</summary>
    public static string Render(IReadOnlyList<LossPoint> history, string title)
    {
        var train = history.Where(p => p.TrainLoss is { } l && double.IsFinite(l)).Select(p => ((double)p.Step, p.TrainLoss!.Value)).ToList();
        var validation = history.Where(p => p.ValidationLoss is { } l && double.IsFinite(l)).Select(p => ((double)p.Step, p.ValidationLoss!.Value)).ToList();
        var all = train.Concat(validation).ToList();
        int maxStep = Math.Max(1, all.Count == 0 ? 1 : (int)all.Max(p => p.Item1));
        var chart = new SvgChart(title);
        var panel = chart.AddPanel(0, new SvgAxis("step", 0, maxStep, Ticks: [0, maxStep], TickFormat: "0"),
            SvgAxis.Spanning("", all.Count == 0 ? [0, 1] : all.Select(p => p.Item2)));
        panel.Line(train, "#1f77b4", "training loss");
        panel.Line(validation, "#ff7f0e", "validation loss");
        return chart.Render();
    }

    /// <summary>Writes <see cref="Render"/>'s SVG to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<LossPoint> history, string title) => AtomicFile.WriteAllText(path, Render(history, title));
}
