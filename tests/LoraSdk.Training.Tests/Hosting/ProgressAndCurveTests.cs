using System.Text.Json;
using System.Text.RegularExpressions;
using LoraSdk.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoraSdk.Training.Tests.Hosting;

public class ProgressAndCurveTests
{
    [Fact]
    public void RedirectedOutputGetsTheContractsEvaluationAndProgressLines()
    {
        var output = new StringWriter();
        var reporter = new ProgressReporter(NullLogger.Instance, output, TextWriter.Null, ProgressStyle.Auto, outputIsTerminal: false);
        reporter.OnEvaluation(new EvaluationResult(5, 2.5, 0.75, true));
        reporter.OnStep(new StepProgress(10, 200, 1, 2.31414, 0.0009, 5.2, TimeSpan.FromSeconds(2)));
        Assert.Equal(
            [
                "lora-evaluation: {\"step\":5,\"validationLoss\":2.5,\"validationAccuracy\":0.75,\"best\":true}",
                "lora-progress: {\"step\":10,\"totalSteps\":200,\"epoch\":1,\"loss\":2.31414,\"learningRate\":0.0009,\"stepsPerSecond\":5.2,\"validationLoss\":2.5}",
            ],
            output.ToString().Trim().Split(Environment.NewLine));
    }

    [Fact]
    public void ADivergedLossIsReportedAsNull()
    {
        var output = new StringWriter();
        var reporter = new ProgressReporter(NullLogger.Instance, output, TextWriter.Null, ProgressStyle.Plain, outputIsTerminal: true);
        reporter.OnStep(new StepProgress(1, 2, 1, double.NaN, 0.1, 1, TimeSpan.Zero));
        var json = JsonDocument.Parse(output.ToString().Split(' ', 2)[1]).RootElement;
        Assert.Equal(JsonValueKind.Null, json.GetProperty("loss").ValueKind);
    }

    [Fact]
    public void ATerminalGetsOneLiveLineAndNoMachineLines()
    {
        var output = new StringWriter();
        var reporter = new ProgressReporter(NullLogger.Instance, output, TextWriter.Null, ProgressStyle.Auto, outputIsTerminal: true);
        reporter.OnStep(new StepProgress(10, 100, 1, 2.5, 1e-3, 10, TimeSpan.FromSeconds(1)));
        reporter.OnStep(new StepProgress(20, 100, 1, 2.25, 1e-3, 10, TimeSpan.FromSeconds(2)));
        reporter.EndLiveLine();
        var text = output.ToString();
        Assert.DoesNotContain("lora-progress", text);
        Assert.Equal(2, text.Count(c => c == '\r'));
        Assert.Contains("step 20/100 | epoch 1 | loss 2.2500 | lr 1.00e-03 | 10.0 steps/s | ETA 0:08", text);
        Assert.EndsWith(Environment.NewLine, text);
    }

    [Fact]
    public void TheLossCurvePlotsEachSeriesFromHighToLow()
    {
        var history = new List<LossPoint> { new(10, 4.0, null), new(20, 3.0, null), new(20, null, 3.5), new(30, 2.0, null) };
        var svg = LossCurveSvg.Render(history, "run <1>");
        Assert.Contains("run &lt;1&gt;", svg);
        var polylines = Regex.Matches(svg, "points=\"([^\"]+)\"").Select(m => m.Groups[1].Value.Split(' ')).ToList();
        Assert.Equal([3, 1], polylines.Select(p => p.Length));
        var trainY = polylines[0].Select(p => double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(trainY[0] < trainY[1] && trainY[1] < trainY[2], "a falling loss is drawn downwards (SVG y grows down)");
    }
}
