using LoraSdk.Build.FineTune;

namespace LoraSdk.Build.Tests.FineTune;

/// <summary>A search's result line: the build's summary names the winner and the report (docs/search.md).</summary>
public sealed class SearchResultLineTests
{
    [Fact]
    public void TheSummaryOfASearchNamesTheWinnerAndTheReport()
    {
        var report = TrainerReport.TryParse(
            "lora-result: {\"adapter\":\"/p/obj/lora/intents\",\"validationLoss\":0.25,\"validationAccuracy\":0.95,\"seconds\":40.1," +
            "\"search\":\"/p/obj/lora/intents.search.md\",\"winner\":\"Rank=8, LearningRate=0.001\",\"trials\":13}")!;
        Assert.Equal(
            "intents: adapter written to /p/obj/lora/intents in 40.1 s (validation loss 0.2500, validation accuracy 95.0 %); " +
            "search winner Rank=8, LearningRate=0.001 of 13 trials, report: /p/obj/lora/intents.search.md",
            report.Format("intents"));
    }

    [Fact]
    public void TheSummarySaysWhenTheConfiguredSettingsWon()
    {
        var report = TrainerReport.TryParse(
            "lora-result: {\"adapter\":\"/p/a\",\"seconds\":2,\"search\":\"/p/a.search.md\",\"winner\":\"Rank=as declared, LearningRate=0.003\",\"configured\":true,\"trials\":15}")!;
        Assert.EndsWith("search winner Rank=as declared, LearningRate=0.003 of 15 trials, report: /p/a.search.md (the configured settings: no candidate beat them)",
            report.Format("a"));
    }

    [Fact]
    public void AnOrdinaryRunsSummaryIsUnchanged() =>
        Assert.Equal("intents: adapter written to out in 1.0 s", TrainerReport.TryParse("lora-result: {\"adapter\":\"out\",\"seconds\":1}")!.Format("intents"));
}
