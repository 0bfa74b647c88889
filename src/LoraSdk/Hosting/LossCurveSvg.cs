using System.Globalization;
using System.Text;
using LoraSdk.Training;

namespace LoraSdk.Hosting;

/// <summary>
/// Draws the loss curve as a small standalone SVG (training loss in blue, validation loss in orange, step on
/// x, loss on y): an image any browser or IDE shows, with no native plotting dependency.
/// </summary>
public static class LossCurveSvg
{
    private const double Width = 640, Height = 360, Left = 64, Right = 16, Top = 32, Bottom = 44;

    /// <summary>A standalone SVG of the training (blue) and validation (orange) loss.</summary>
    public static string Render(IReadOnlyList<LossPoint> history, string title)
    {
        var train = history.Where(p => p.TrainLoss is { } l && double.IsFinite(l)).Select(p => (p.Step, Loss: p.TrainLoss!.Value)).ToList();
        var validation = history.Where(p => p.ValidationLoss is { } l && double.IsFinite(l)).Select(p => (p.Step, Loss: p.ValidationLoss!.Value)).ToList();
        var all = train.Concat(validation).ToList();
        int maxStep = Math.Max(1, all.Count == 0 ? 1 : all.Max(p => p.Step));
        double minLoss = all.Count == 0 ? 0 : all.Min(p => p.Loss), maxLoss = all.Count == 0 ? 1 : all.Max(p => p.Loss);
        if (maxLoss - minLoss < 1e-9) { minLoss -= 0.5; maxLoss += 0.5; }
        double X(int step) => Left + (Width - Left - Right) * step / maxStep;
        double Y(double loss) => Top + (Height - Top - Bottom) * (maxLoss - loss) / (maxLoss - minLoss);

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append(Invariant($"<text x=\"{Width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{Escape(title)}</text>\n"));
        for (int i = 0; i <= 4; i++)
        {
            double loss = minLoss + (maxLoss - minLoss) * i / 4, y = Y(loss);
            svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\" stroke=\"#ddd\"/>"));
            svg.Append(Invariant($"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{loss:0.###}</text>\n"));
        }
        svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>\n"));
        svg.Append(Invariant($"<text x=\"{Left}\" y=\"{Height - Bottom + 16}\">0</text><text x=\"{Width - Right}\" y=\"{Height - Bottom + 16}\" text-anchor=\"end\">{maxStep}</text>\n"));
        svg.Append(Invariant($"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 8}\" text-anchor=\"middle\">step</text>\n"));
        AppendSeries(svg, train, "#1f77b4", "training loss", 0, X, Y);
        AppendSeries(svg, validation, "#ff7f0e", "validation loss", 1, X, Y);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Writes <see cref="Render"/>'s SVG to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IReadOnlyList<LossPoint> history, string title)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = path + ".tmp";
        File.WriteAllText(temp, Render(history, title));
        File.Move(temp, path, overwrite: true);
    }

    private static void AppendSeries(StringBuilder svg, List<(int Step, double Loss)> points, string colour, string name, int legendRow,
        Func<int, double> x, Func<double, double> y)
    {
        if (points.Count == 0) return;
        var coordinates = string.Join(' ', points.Select(p => Invariant($"{x(p.Step):0.##},{y(p.Loss):0.##}")));
        svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{coordinates}\"/>\n"));
        if (points.Count == 1) svg.Append(Invariant($"<circle cx=\"{x(points[0].Step):0.##}\" cy=\"{y(points[0].Loss):0.##}\" r=\"3\" fill=\"{colour}\"/>\n"));
        double legendY = Top + 8 + 16 * legendRow;
        svg.Append(Invariant($"<line x1=\"{Width - 150}\" y1=\"{legendY}\" x2=\"{Width - 130}\" y2=\"{legendY}\" stroke=\"{colour}\" stroke-width=\"2\"/>"));
        svg.Append(Invariant($"<text x=\"{Width - 124}\" y=\"{legendY + 4}\">{name}</text>\n"));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text) =>
        text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}
