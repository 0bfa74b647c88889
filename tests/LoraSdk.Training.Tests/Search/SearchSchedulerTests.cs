using System.Collections.Concurrent;
using System.Globalization;
using LoraSdk.Hosting;
using LoraSdk.Search;

namespace LoraSdk.Training.Tests.Search;

/// <summary>
/// The scheduling logic against a known objective (a function of the settings, improving with steps): which
/// trials run, what is promoted, resume and failed trials. The product's runner trains real models
/// (<see cref="SearchHostTests"/>).
/// </summary>
public class SearchSchedulerTests
{
    private static readonly SearchSpace Space = SearchSpaceParser.Parse("Rank=2,4,8;LearningRate=0.0001,0.001,0.01");

    /// <summary>
    /// Accuracy peaks at rank 4 and learning rate 0.001, and grows with the steps trained; <paramref name="slowStarter"/>
    /// names a candidate that learns slowly at first and ends best (the short-horizon trap).
    /// </summary>
    private sealed class KnownObjective(Func<TrialRequest, bool>? fails = null, int delayMs = 0, int? cancelAfter = null, string? slowStarter = null) : ITrialRunner
    {
        public ConcurrentBag<string> Ran { get; } = [];

        public async Task<TrialResult> RunAsync(TrialRequest request, CancellationToken cancellationToken)
        {
            if (cancelAfter is { } n && Ran.Count >= n) throw new OperationCanceledException();
            // Random-looking delays: parallel trials finish in an order unrelated to the grid.
            if (delayMs > 0) await Task.Delay(delayMs * (1 + (request.Candidate.Index * 7 % 5)), cancellationToken);
            Ran.Add(request.Key);
            if (fails?.Invoke(request) == true) return TrialResult.Failed("exit code 1: boom", 0.1);
            double rank = double.Parse(request.Candidate["Rank"]!, CultureInfo.InvariantCulture);
            double rate = double.Parse(request.Candidate["LearningRate"]!, CultureInfo.InvariantCulture);
            double quality = 1 - 0.1 * Math.Abs(Math.Log2(rank / 4)) - 0.1 * Math.Abs(Math.Log10(rate / 0.001));
            double accuracy = request.Candidate.Label == slowStarter
                ? request.Steps >= 90 ? 0.99 : 0.1
                : quality * request.Steps / (request.Steps + 10.0);
            return new TrialResult(TrialStatus.Succeeded, 1 - accuracy, accuracy, 1 - accuracy, (long)rank * 100, 1);
        }
    }

    private static SearchScheduler Scheduler(ITrialRunner runner, SearchState state, double budget = 3, int parallel = 1) =>
        new(SuccessiveHalvingPlan.Create(Space.Count, budget, seed: 42), Space.Candidates(), _ => 90, new TrialRanking(LoraTask.SequenceClassification),
            state, runner, parallel);

    /// <summary>A search whose incumbent is <paramref name="incumbent"/> (a grid candidate, or one of its own).</summary>
    private static SearchScheduler WithIncumbent(ITrialRunner runner, Candidate incumbent, double budget = 3, int parallel = 1)
    {
        var grid = Space.Candidates();
        var challengers = grid.Where(c => c != incumbent).Select(c => c.Index).ToList();
        return new(SuccessiveHalvingPlan.Create(challengers, budget, seed: 42, incumbent: true), grid, _ => 90,
            new TrialRanking(LoraTask.SequenceClassification), SearchState.InMemory(), runner, parallel, incumbent);
    }

    private static Candidate GridCandidate(string label) => Space.Candidates().Single(c => c.Label == label);

    [Fact]
    public void TheConfiguredSettingsAreTheGridsCandidateWhenTheyMatchOneElseACandidateOfTheirOwn()
    {
        var options = new LoraSdk.Hosting.LoraFineTuningOptions
        {
            Adapter = new LoraOptionsOverride { Rank = 4 }, Trainer = new TrainerOptions { LearningRate = 1e-3 },
        };
        Assert.Equal(GridCandidate("Rank=4, LearningRate=0.001"), ConfiguredCandidate.Of(Space, Space.Candidates(), options));
        var declared = ConfiguredCandidate.Of(Space, Space.Candidates(), options with { Adapter = new LoraOptionsOverride() });
        Assert.Equal(9, declared.Index);
        Assert.Equal("Rank=as declared, LearningRate=0.001", declared.Label);
        Assert.Equal([new KeyValuePair<string, string>("LearningRate", "0.001")], declared.SetValues);
        // With the model's adapters at hand, an unset key takes their value: rank 8 as the attribute declares it.
        var built = ConfiguredCandidate.Of(Space, Space.Candidates(), options with { Adapter = new LoraOptionsOverride() }, () => new LoraOptions(8, 16));
        Assert.Equal(GridCandidate("Rank=8, LearningRate=0.001"), built);
    }

    [Fact]
    public async Task TheIncumbentIsNeverPrunedAndLosesOnlyToABetterFullRun()
    {
        // The worst candidate of the grid as the incumbent: it trains in every round and to the end, then loses.
        var runner = new KnownObjective();
        var incumbent = GridCandidate("Rank=2, LearningRate=0.0001");
        var outcome = await WithIncumbent(runner, incumbent).RunAsync(CancellationToken.None);
        Assert.Equal([0, 1, 2], outcome.Trials.Where(t => t.Request.Candidate == incumbent).Select(t => t.Request.Rung));
        Assert.Equal([9, 4, 2], outcome.Trials.GroupBy(t => t.Request.Rung).Select(g => g.Count()));
        Assert.Equal(incumbent, outcome.IncumbentRun!.Request.Candidate);
        Assert.Equal(90, outcome.IncumbentRun.Request.Steps);
        Assert.Equal("Rank=4, LearningRate=0.001", outcome.Winner!.Request.Candidate.Label);
        Assert.False(outcome.IncumbentWon);
        // Each candidate's trials ask for ever more of its run: round k continues round k − 1.
        foreach (var candidate in outcome.Trials.GroupBy(t => t.Request.Candidate))
            Assert.Equal(candidate.Select(t => t.Request.Steps).Order(), candidate.Select(t => t.Request.Steps).Distinct());
    }

    [Fact]
    public async Task AnIncumbentThatStartsSlowlyButEndsBestWins()
    {
        // Short trials would prune it in round 1 (as they pruned the hand-picked learning rate in docs/search.md).
        var incumbent = GridCandidate("Rank=8, LearningRate=0.01");
        var outcome = await WithIncumbent(new KnownObjective(slowStarter: incumbent.Label), incumbent).RunAsync(CancellationToken.None);
        Assert.Equal(incumbent, outcome.Winner!.Request.Candidate);
        Assert.True(outcome.IncumbentWon);
        var withoutIncumbent = await Scheduler(new KnownObjective(slowStarter: incumbent.Label), SearchState.InMemory()).RunAsync(CancellationToken.None);
        Assert.NotEqual(incumbent, withoutIncumbent.Winner!.Request.Candidate);
    }

    [Fact]
    public async Task TheIncumbentWinsATieAndAnIncumbentOutsideTheGridIsTrainedToo()
    {
        // Not in the grid (its rank left to the model's attribute), scoring exactly what the best grid candidate scores.
        var incumbent = new Candidate(9, [new("Rank", Candidate.AsDeclared), new("LearningRate", "0.001")]);
        var tie = new TiedWith(new KnownObjective(), incumbent, "Rank=4, LearningRate=0.001");
        var outcome = await WithIncumbent(tie, incumbent).RunAsync(CancellationToken.None);
        Assert.Equal([10, 4, 2], outcome.Trials.GroupBy(t => t.Request.Rung).Select(g => g.Count()));
        Assert.Equal(incumbent, outcome.Winner!.Request.Candidate);
        Assert.True(outcome.IncumbentWon);
    }

    [Fact]
    public async Task WithAnIncumbentParallelTrialsStillGiveTheSameSearch()
    {
        var incumbent = GridCandidate("Rank=8, LearningRate=0.01");
        var serial = await WithIncumbent(new KnownObjective(), incumbent).RunAsync(CancellationToken.None);
        var parallel = await WithIncumbent(new KnownObjective(delayMs: 5), incumbent, parallel: 4).RunAsync(CancellationToken.None);
        Assert.Equal(serial.Winner, parallel.Winner);
        Assert.Equal(serial.Trials, parallel.Trials);
    }

    /// <summary>The incumbent scores whatever <paramref name="twin"/> scores at the same steps.</summary>
    private sealed class TiedWith(ITrialRunner inner, Candidate incumbent, string twin) : ITrialRunner
    {
        public Task<TrialResult> RunAsync(TrialRequest request, CancellationToken cancellationToken) =>
            inner.RunAsync(request.Candidate == incumbent ? request with { Candidate = Space.Candidates().Single(c => c.Label == twin) } : request, cancellationToken);
    }

    [Fact]
    public async Task FindsTheBestCandidateAndPromotesOnlyTheBestOfEachRound()
    {
        var runner = new KnownObjective();
        var outcome = await Scheduler(runner, SearchState.InMemory()).RunAsync(CancellationToken.None);
        Assert.Equal("Rank=4, LearningRate=0.001", outcome.Winner!.Request.Candidate.Label);
        Assert.Equal(90, outcome.Winner.Request.Steps);
        var rounds = outcome.Trials.GroupBy(t => t.Request.Rung).Select(g => g.Count()).ToList();
        Assert.Equal([9, 3, 1], rounds);
        // Round 2 holds exactly the three best of round 1.
        var ranking = new TrialRanking(LoraTask.SequenceClassification);
        var bestOfFirst = outcome.Trials.Where(t => t.Request.Rung == 0).Order(ranking).Take(3).Select(t => t.Request.Candidate.Label);
        Assert.Equal(bestOfFirst.Order(), outcome.Trials.Where(t => t.Request.Rung == 1).Select(t => t.Request.Candidate.Label).Order());
        Assert.Equal(outcome.Trials.Count, runner.Ran.Count);
    }

    [Fact]
    public async Task ParallelTrialsFinishingInAnyOrderGiveTheSameSearch()
    {
        var serial = await Scheduler(new KnownObjective(), SearchState.InMemory()).RunAsync(CancellationToken.None);
        var parallel = await Scheduler(new KnownObjective(delayMs: 5), SearchState.InMemory(), parallel: 4).RunAsync(CancellationToken.None);
        Assert.Equal(serial.Winner, parallel.Winner);
        Assert.Equal(serial.Trials, parallel.Trials);
    }

    [Fact]
    public async Task AFailedTrialIsRecordedNeverPromotedAndTheSearchGoesOn()
    {
        // The best candidate fails (a NaN, a crash): the search still ends with the best of the rest.
        var runner = new KnownObjective(fails: r => r.Candidate.Label == "Rank=4, LearningRate=0.001");
        var outcome = await Scheduler(runner, SearchState.InMemory()).RunAsync(CancellationToken.None);
        var failed = Assert.Single(outcome.Trials, t => t.Result.Status == TrialStatus.Failed);
        Assert.Equal(0, failed.Request.Rung);
        Assert.Contains("boom", failed.Result.Failure);
        Assert.NotNull(outcome.Winner);
        Assert.NotEqual("Rank=4, LearningRate=0.001", outcome.Winner!.Request.Candidate.Label);
        Assert.DoesNotContain(outcome.Trials, t => t.Request.Rung > 0 && t.Request.Candidate.Label == failed.Request.Candidate.Label);
    }

    [Fact]
    public async Task ADivergedRunCountsAsFailed()
    {
        var ranking = new TrialRanking(LoraTask.CausalLanguageModeling);
        var judged = ranking.Judge(new TrialResult(TrialStatus.Succeeded, null, null, null, 10, 1));
        Assert.Equal(TrialStatus.Failed, judged.Status);
        Assert.Contains("diverged", judged.Failure);
        Assert.Equal(TrialStatus.Succeeded, ranking.Judge(new TrialResult(TrialStatus.Succeeded, 2.5, null, 2.4, 10, 1)).Status);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task WhenEveryTrialOfARoundFailsThereIsNoWinnerAndTheReasonIsGiven()
    {
        var outcome = await Scheduler(new KnownObjective(fails: _ => true), SearchState.InMemory()).RunAsync(CancellationToken.None);
        Assert.Null(outcome.Winner);
        Assert.Equal(9, outcome.Trials.Count);
        Assert.Contains("all 9 trials of round 1 failed", outcome.Failure);
        Assert.Contains("boom", outcome.Failure);
    }

    [Fact]
    public async Task AStoppedSearchResumesWithoutRerunningFinishedTrials()
    {
        using var folder = new TempFolder();
        string path = folder.Combine("search", "state.json");

        var first = new KnownObjective(cancelAfter: 5);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Scheduler(first, SearchState.Open(path, "f1", out _)).RunAsync(CancellationToken.None));
        Assert.Equal(5, first.Ran.Count);

        var state = SearchState.Open(path, "f1", out string? discarded);
        Assert.Null(discarded);
        Assert.Equal(5, state.Trials.Count);
        var second = new KnownObjective();
        var resumed = await Scheduler(second, state).RunAsync(CancellationToken.None);
        Assert.Empty(second.Ran.Intersect(first.Ran));
        Assert.Equal(resumed.Trials.Count - 5, second.Ran.Count);

        var uninterrupted = await Scheduler(new KnownObjective(), SearchState.InMemory()).RunAsync(CancellationToken.None);
        Assert.Equal(uninterrupted.Winner, resumed.Winner);
        Assert.Equal(uninterrupted.Trials.Select(t => t.Request), resumed.Trials.Select(t => t.Request));
    }

    [Fact]
    public async Task ASavedStateOfAnotherSearchOrADamagedOneIsNotUsed()
    {
        using var folder = new TempFolder();
        string path = folder.Combine("state.json");
        await Scheduler(new KnownObjective(), SearchState.Open(path, "f1", out _)).RunAsync(CancellationToken.None);

        var other = SearchState.Open(path, "f2", out string? why);
        Assert.Empty(other.Trials);
        Assert.Contains("changed", why);

        File.WriteAllText(path, "{ not json");
        var damaged = SearchState.Open(path, "f1", out why);
        Assert.Empty(damaged.Trials);
        Assert.Contains("damaged", why);
    }

    [Fact]
    public async Task TheWinnersFullRunIsRepeatedWhenItsAdapterIsGone()
    {
        var state = SearchState.InMemory();
        await Scheduler(new KnownObjective(), state).RunAsync(CancellationToken.None);
        var again = new KnownObjective();
        var scheduler = new SearchScheduler(SuccessiveHalvingPlan.Create(Space.Count, 3, seed: 42), Space.Candidates(), _ => 90,
            new TrialRanking(LoraTask.SequenceClassification), state, again) { CanReuseWinner = _ => false };
        var outcome = await scheduler.RunAsync(CancellationToken.None);
        Assert.Equal([outcome.Winner!.Request.Key], again.Ran);
    }
}
