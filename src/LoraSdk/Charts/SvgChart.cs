using System.Globalization;
using System.Text;

using LoraSdk.Files;

namespace LoraSdk.Charts;

/// <summary>One axis of a <see cref="SvgChart"/> panel: its label, range, linear or logarithmic scale, and tick values.</summary>
internal sealed record SvgAxis(string Label, double Min, double Max, bool Logarithmic = false, IReadOnlyList<double>? Ticks = null, string TickFormat = "0.###")
{
    /// <summary>An axis spanning <paramref name="values"/> (padded when they are all equal).</summary>
    public static SvgAxis Spanning(string label, IEnumerable<double> values, bool logarithmic = false, IReadOnlyList<double>? ticks = null, string tickFormat = "0.###")
    {
        var list = values.Where(double.IsFinite).Where(v => !logarithmic || v > 0).ToList();
        double min = list.Count == 0 ? 0 : list.Min(), max = list.Count == 0 ? 1 : list.Max();
        if (max - min < 1e-12 * Math.Max(1, Math.Abs(max)))
            (min, max) = logarithmic ? (min / 2, max * 2) : (min - 0.5, max + 0.5);
        else if (logarithmic)
            (min, max) = (min / Math.Pow(max / min, 0.08), max * Math.Pow(max / min, 0.08)); // keep end points off the frame
        return new SvgAxis(label, min, max, logarithmic, ticks, tickFormat);
    }

    /// <summary>Where <paramref name="value"/> lies along the axis, 0 at <see cref="Min"/> and 1 at <see cref="Max"/>.</summary>
    public double Position(double value) => Logarithmic
        ? Math.Log(value / Min) / Math.Log(Max / Min)
        : (value - Min) / (Max - Min);

    public IReadOnlyList<double> TickValues => Ticks ?? Enumerable.Range(0, 5).Select(i => Min + (Max - Min) * i / 4).ToList();
}

/// <summary>
/// A small standalone SVG figure: a title and one or more panels side by side, each with axes, grid lines,
/// line series, dots and labelled markers. Hand-written so plots need no native plotting dependency; used for
/// the loss curve (<c>Hosting/LossCurveSvg</c>) and the search report's plot (<c>Search/SearchPlotSvg</c>).
/// </summary>
internal sealed class SvgChart(string title, int panels = 1, double panelWidth = 640, double height = 360)
{
    private const double Left = 64, Right = 16, Top = 32, Bottom = 44;
    private readonly StringBuilder _body = new();
    private readonly int[] _legendRows = new int[panels];

    public double Width => PanelWidth * panels;
    private double PanelWidth => panelWidth;
    private double Height => height;

    /// <summary>Draws panel <paramref name="index"/>'s frame, grid and tick labels; returns the panel to draw into.</summary>
    public Panel AddPanel(int index, SvgAxis x, SvgAxis y)
    {
        var panel = new Panel(this, index, x, y);
        panel.DrawAxes();
        return panel;
    }

    public string Render()
    {
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append(Invariant($"<text x=\"{Width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{Escape(title)}</text>\n"));
        svg.Append(_body);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Writes the figure to a temporary file, then renames it into place.</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, Render());

    public static string Escape(string text) =>
        text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One plot area of the figure.</summary>
    internal sealed class Panel(SvgChart chart, int index, SvgAxis x, SvgAxis y)
    {
        private double Offset => chart.PanelWidth * index;
        private double Bottom => chart.Height - SvgChart.Bottom;
        private double RightEdge => Offset + chart.PanelWidth - Right;

        public double X(double value) => Offset + Left + (chart.PanelWidth - Left - Right) * x.Position(value);
        public double Y(double value) => Top + (Bottom - Top) * (1 - y.Position(value));

        internal void DrawAxes()
        {
            var body = chart._body;
            foreach (double tick in y.TickValues)
            {
                double py = Y(tick);
                body.Append(Invariant($"<line x1=\"{Offset + Left}\" y1=\"{py:0.#}\" x2=\"{RightEdge}\" y2=\"{py:0.#}\" stroke=\"#ddd\"/>"));
                body.Append(Invariant($"<text x=\"{Offset + Left - 6}\" y=\"{py + 4:0.#}\" text-anchor=\"end\">{tick.ToString(y.TickFormat, CultureInfo.InvariantCulture)}</text>\n"));
            }
            body.Append(Invariant($"<line x1=\"{Offset + Left}\" y1=\"{Bottom}\" x2=\"{RightEdge}\" y2=\"{Bottom}\" stroke=\"black\"/>\n"));
            foreach (double tick in x.TickValues)
                body.Append(Invariant($"<text x=\"{X(tick):0.##}\" y=\"{Bottom + 16}\" text-anchor=\"middle\">{tick.ToString(x.TickFormat, CultureInfo.InvariantCulture)}</text>"));
            body.Append(Invariant($"\n<text x=\"{(Offset + Left + RightEdge) / 2}\" y=\"{chart.Height - 8}\" text-anchor=\"middle\">{Escape(x.Label)}</text>\n"));
            if (y.Label.Length > 0)
                body.Append(Invariant($"<text x=\"{Offset + 14}\" y=\"{(Top + Bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 {Offset + 14} {(Top + Bottom) / 2})\">{Escape(y.Label)}</text>\n"));
        }

        /// <summary>A polyline through the points (a single point is drawn as a dot).</summary>
        public void Line(IReadOnlyList<(double X, double Y)> points, string colour, string name)
        {
            if (points.Count == 0) return;
            var coordinates = string.Join(' ', points.Select(p => Invariant($"{X(p.X):0.##},{Y(p.Y):0.##}")));
            chart._body.Append(Invariant($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{coordinates}\"/>\n"));
            if (points.Count == 1) chart._body.Append(Invariant($"<circle cx=\"{X(points[0].X):0.##}\" cy=\"{Y(points[0].Y):0.##}\" r=\"3\" fill=\"{colour}\"/>\n"));
            Legend(colour, name, line: true);
        }

        /// <summary>Unconnected dots.</summary>
        public void Dots(IReadOnlyList<(double X, double Y)> points, string colour, string name, double radius = 4)
        {
            if (points.Count == 0) return;
            foreach (var p in points)
                chart._body.Append(Invariant($"<circle cx=\"{X(p.X):0.##}\" cy=\"{Y(p.Y):0.##}\" r=\"{radius}\" fill=\"{colour}\" fill-opacity=\"0.75\"/>\n"));
            Legend(colour, name, line: false);
        }

        /// <summary>A ring around a point, with a label beside it (e.g. the winner).</summary>
        public void Ring(double px, double py, string colour, string label)
        {
            chart._body.Append(Invariant($"<circle cx=\"{X(px):0.##}\" cy=\"{Y(py):0.##}\" r=\"9\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\"/>"));
            chart._body.Append(Invariant($"<text x=\"{X(px) + 12:0.##}\" y=\"{Y(py) - 10:0.##}\" fill=\"{colour}\" font-weight=\"bold\">{Escape(label)}</text>\n"));
        }

        private void Legend(string colour, string name, bool line)
        {
            double legendY = Top + 8 + 16 * chart._legendRows[index]++;
            double lx = RightEdge - 134;
            chart._body.Append(line
                ? Invariant($"<line x1=\"{lx}\" y1=\"{legendY}\" x2=\"{lx + 20}\" y2=\"{legendY}\" stroke=\"{colour}\" stroke-width=\"2\"/>")
                : Invariant($"<circle cx=\"{lx + 10}\" cy=\"{legendY}\" r=\"4\" fill=\"{colour}\"/>"));
            chart._body.Append(Invariant($"<text x=\"{lx + 26}\" y=\"{legendY + 4}\">{Escape(name)}</text>\n"));
        }
    }
}
