using LoraSdk.Search;

namespace LoraSdk.Training.Tests.Search;

/// <summary>The report and the plot of a search whose incumbent (rank left to the model's attribute) won.</summary>
public class SearchReportTests
{
    private static readonly SearchSpace Space = SearchSpaceParser.Parse("Rank=4,8;LearningRate=0.001,0.01");
    private static readonly TrialRanking Ranking = new(LoraTask.SequenceClassification);
    private static readonly Candidate Incumbent = new(4, [new("Rank", Candidate.AsDeclared), new("LearningRate", "0.003")]);

    private static TrialRecord Trial(Candidate candidate, int rung, int steps, double accuracy) =>
        new(new TrialRequest(candidate, rung, steps), new TrialResult(TrialStatus.Succeeded, 1 - accuracy, accuracy, 0.5, 1000, 2));

    private static SearchOutcome Outcome()
    {
        var grid = Space.Candidates();
        var configuredFull = Trial(Incumbent, 1, 60, 0.95);
        return new SearchOutcome(configuredFull,
            [Trial(grid[0], 0, 20, 0.7), Trial(grid[1], 0, 20, 0.8), Trial(grid[2], 0, 20, 0.6), Trial(grid[3], 0, 20, 0.75),
             Trial(Incumbent, 0, 20, 0.5), Trial(grid[1], 1, 60, 0.9), configuredFull],
            null, Incumbent, configuredFull);
    }

    [Fact]
    public void TheReportMarksTheIncumbentAndSaysNoCandidateBeatIt()
    {
        var outcome = Outcome();
        var plan = SuccessiveHalvingPlan.Create([0, 1, 2, 3], 3, seed: 1, incumbent: true);
        string report = SearchReport.Markdown("intents", Space, new SearchOptions { Search = Space.ToString() }, plan, 4, outcome, Ranking, 1, "intents.search.svg", "/p/intents");
        Assert.True(outcome.IncumbentWon);
        Assert.Contains("The configured settings (Rank=as declared, LearningRate=0.003) are the incumbent", report);
        Assert.Contains("**Winner: Rank=as declared, LearningRate=0.003** (the configured settings): 95.0 %", report);
        Assert.Contains("No candidate beat the configured settings.", report);
        Assert.Equal(2, report.Split('\n').Count(l => l.Contains("| Rank=as declared, LearningRate=0.003 (configured) |")));
        Assert.Contains("1: 4 + 1 ×", report);
    }

    [Fact]
    public void ThePlotLeavesAnUnsetKeyOffItsAxisAndRingsTheWinnerWhereItHasAValue()
    {
        var outcome = Outcome();
        string svg = SearchPlotSvg.Render(Space, outcome.Trials, outcome.Winner!, Ranking, "intents");
        Assert.StartsWith("<svg", svg);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(svg, ">winner</text>")); // the LearningRate panel only
    }

    [Fact]
    public void ADoraAxisShowsInTheReportAndThePlot()
    {
        var space = SearchSpaceParser.Parse("UseDoRA=false,true");
        var grid = space.Candidates();
        var incumbent = grid[0]; // the configured UseDoRA=false is the grid's first candidate
        var doraFull = Trial(grid[1], 1, 60, 0.93);
        var outcome = new SearchOutcome(doraFull, [Trial(grid[0], 0, 20, 0.7), Trial(grid[1], 0, 20, 0.8), Trial(grid[0], 1, 60, 0.9), doraFull],
            null, incumbent, Trial(grid[0], 1, 60, 0.9));
        var plan = SuccessiveHalvingPlan.Create([0, 1], 3, seed: 1, incumbent: false);
        string report = SearchReport.Markdown("intents", space, new SearchOptions { Search = space.ToString() }, plan, 2, outcome, Ranking, 1, "intents.search.svg", "/p/intents");
        Assert.Contains("**Winner: UseDoRA=true**", report);
        Assert.Contains("| UseDoRA=false (configured) |", report);
        // The plot's axes are numeric keys; a search of true/false alone plots accuracy against steps.
        string svg = SearchPlotSvg.Render(space, outcome.Trials, outcome.Winner!, Ranking, "intents");
        Assert.Contains(">steps<", svg);
    }
}
