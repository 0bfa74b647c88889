using LoraSdk.Build.FineTune;
using LoraSdk.Shared;

namespace LoraSdk.Build.Tests.FineTune;

/// <summary>Parsing of the program's output lines: canonical diagnostics, report lines and JSON.</summary>
public sealed class TrainerOutputTests
{
    [Theory]
    [InlineData("data/train.jsonl(12,5): error LORA201: bad record", true, "LORA201", "data/train.jsonl", 12, 5, "bad record")]
    [InlineData(@"C:\proj\data (copy)\train.csv(7): error LORA202: missing field 'label'", true, "LORA202", @"C:\proj\data (copy)\train.csv", 7, 0, "missing field 'label'")]
    [InlineData("appsettings.json : warning LORA210: unknown option", false, "LORA210", "appsettings.json", 0, 0, "unknown option")]
    [InlineData("error LORA204: the dataset is empty", true, "LORA204", null, 0, 0, "the dataset is empty")]
    public void Parses_canonical_diagnostics(string line, bool isError, string code, string? file, int lineNumber, int column, string message)
    {
        var d = TrainerDiagnostic.TryParse(line);

        Assert.NotNull(d);
        Assert.Equal((isError, code, file, lineNumber, column, message), (d.IsError, d.Code, d.File, d.Line, d.Column, d.Message));
    }

    [Theory]
    [InlineData("Epoch 1: error rate went down")]
    [InlineData("info: LoraSdk.Training[0] step 10 loss 2.1")]
    [InlineData("")]
    public void Ordinary_lines_are_not_diagnostics(string line) => Assert.Null(TrainerDiagnostic.TryParse(line));

    [Fact]
    public void Reads_report_lines_and_rejects_bad_json()
    {
        var progress = TrainerReport.TryParse("lora-progress: {\"step\":10,\"totalSteps\":200,\"loss\":2.3141,\"validationLoss\":null}");
        Assert.NotNull(progress);
        Assert.Equal(FineTuneContract.Lines.Progress, progress.Prefix);
        Assert.Equal((10L, 200L, 2.3141, (double?)null), (progress.Step, progress.TotalSteps, progress.Number("loss")!.Value, progress.Number("validationLoss")));

        Assert.Equal(FineTuneContract.Lines.Result, TrainerReport.TryParse("lora-result: {\"adapter\":\"out\"}")!.Prefix);
        Assert.Equal(FineTuneContract.Lines.Evaluation, TrainerReport.TryParse("  lora-evaluation: {\"step\":3}")!.Prefix);
        Assert.Null(TrainerReport.TryParse("lora-progressive rock"));
        Assert.Throws<JsonFormatException>(() => TrainerReport.TryParse("lora-progress: {\"step\":"));
    }

    [Fact]
    public void Json_reader_handles_escapes_nesting_and_reports_the_line_of_an_error()
    {
        var value = (Dictionary<string, object?>)JsonReader.Parse("{\"a\\\"b\": [1, -2.5e1, true, null, \"\\u00e9\\n\"], \"o\": {}}")!;
        Assert.Equal(new object?[] { 1.0, -25.0, true, null, "é\n" }, (List<object?>)value["A\"B"]!);
        Assert.Empty((Dictionary<string, object?>)value["o"]!);

        var e = Assert.Throws<JsonFormatException>(() => JsonReader.Parse("{\n\"a\": 1,\n  x\n}"));
        Assert.Equal((3, 3), (e.Line, e.Column));
    }

    [Fact]
    public void Progress_throttle_relays_the_first_one_per_interval_and_the_last()
    {
        var throttle = new ProgressThrottle { Interval = 10 };

        long[] relayed = Enumerable.Range(1, 35).Where(s => throttle.ShouldRelay(s, 35)).Select(s => (long)s).ToArray();

        Assert.Equal(new long[] { 1, 10, 20, 30, 35 }, relayed);
    }
}
