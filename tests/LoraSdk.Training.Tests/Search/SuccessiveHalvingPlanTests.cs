using LoraSdk.Search;

namespace LoraSdk.Training.Tests.Search;

public class SuccessiveHalvingPlanTests
{
    [Theory]
    [InlineData(12, 12, false)]
    [InlineData(12, 3, false)]
    [InlineData(6, 3, false)]
    [InlineData(2, 2, false)]
    [InlineData(100, 5, false)]
    [InlineData(7, 1.5, false)]
    [InlineData(12, 12, true)]
    [InlineData(8, 3, true)]
    [InlineData(9, 3, true)]
    [InlineData(100, 5, true)]
    [InlineData(3, 2, true)]
    [InlineData(2, 40, true)]
    public void StaysWithinTheBudgetKeepsAThirdPerRoundAndEndsWithFullRuns(int challengers, double budget, bool incumbent)
    {
        var plan = SuccessiveHalvingPlan.Create(Enumerable.Range(0, challengers).ToList(), budget, seed: 42, incumbent);
        Assert.True(plan.Cost <= budget + 1e-9, $"cost {plan.Cost} > budget {budget}");
        Assert.Equal(incumbent, plan.Incumbent);
        Assert.Equal(new Rung(1, 1), plan.Rungs[^1]);
        Assert.Equal(plan.CandidateIndexes.Count, plan.Rungs[0].Candidates);
        for (int i = 1; i < plan.Rungs.Count; i++)
        {
            Assert.Equal((plan.Rungs[i - 1].Candidates + SuccessiveHalvingPlan.Eta - 1) / SuccessiveHalvingPlan.Eta, plan.Rungs[i].Candidates);
            Assert.True(plan.Rungs[i].Fraction >= plan.Rungs[i - 1].Fraction, "later rounds train longer");
        }
        Assert.True(plan.Rungs[0].Fraction >= SuccessiveHalvingPlan.MinimumFraction || plan.CandidateIndexes.Count == 1);
        Assert.Equal(plan.CandidateIndexes.Order(), plan.CandidateIndexes);
    }

    [Fact]
    public void ContinuedTrialsCostOnlyTheStepsTheyAdd()
    {
        // 9 candidates, budget 3, no incumbent: rounds at x, 3x, 1 of a run; cost 9x + 3·2x + 1·(1 − 3x) = 1 + 12x = 3.
        var plan = SuccessiveHalvingPlan.Create(9, 3, seed: 42);
        Assert.Equal([9, 3, 1], plan.Rungs.Select(r => r.Candidates));
        Assert.Equal(1.0 / 6, plan.Rungs[0].Fraction, 9);
        Assert.Equal(0.5, plan.Rungs[1].Fraction, 9);
        Assert.Equal(3, plan.Cost, 9);
    }

    [Fact]
    public void TheIncumbentTrainsInEveryRoundAndIsPaidFor()
    {
        // The IntentClassifier case: 9 grid points, the configured one among them, so 8 challengers; budget 3.
        // Rounds 8+1 at x, 3+1 at 3x, 1+1 at 1: cost 9x + 4·2x + 2·(1 − 3x) = 2 + 11x = 3.
        var plan = SuccessiveHalvingPlan.Create([0, 1, 2, 3, 5, 6, 7, 8], 3, seed: 42, incumbent: true);
        Assert.Equal([8, 3, 1], plan.Rungs.Select(r => r.Candidates));
        Assert.Equal(1.0 / 11, plan.Rungs[0].Fraction, 9);
        Assert.Equal(3.0 / 11, plan.Rungs[1].Fraction, 9);
        Assert.Equal(3, plan.Cost, 9);
        Assert.Equal([0, 1, 2, 3, 5, 6, 7, 8], plan.CandidateIndexes);
    }

    [Theory]
    [InlineData(9, 3, false, 63)]
    [InlineData(8, 3, true, 63)]
    [InlineData(12, 12, true, 21)]
    [InlineData(30, 4, true, 80)]
    public void TheStepsTrainedStayWithinTheBudget(int challengers, double budget, bool incumbent, int fullRunSteps)
    {
        // Each candidate trains its longest trial's steps (its trials continue each other). Runs long enough that no trial is raised to one step.
        var plan = SuccessiveHalvingPlan.Create(Enumerable.Range(0, challengers).ToList(), budget, seed: 3, incumbent);
        var steps = plan.Rungs.Select(r => SuccessiveHalvingPlan.Steps(r.Fraction, fullRunSteps)).ToList();
        long trained = 0;
        for (int k = 0; k < plan.Rungs.Count; k++)
            trained += (long)(plan.Rungs[k].Candidates + (incumbent ? 1 : 0)) * (steps[k] - (k == 0 ? 0 : steps[k - 1]));
        Assert.True(trained <= budget * fullRunSteps, $"{trained} steps > {budget} × {fullRunSteps}");
    }

    [Fact]
    public void ABudgetLargeEnoughTrainsEveryCandidateInFull()
    {
        var plan = SuccessiveHalvingPlan.Create([0, 1, 2, 3], 5, seed: 1, incumbent: true);
        Assert.All(plan.Rungs, r => Assert.Equal(1, r.Fraction));
        Assert.Equal(5, plan.Cost, 9);
    }

    [Fact]
    public void WithAnIncumbentTheBudgetMustPayTwoFullRuns()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SuccessiveHalvingPlan.Create([0, 1], 1.9, seed: 1, incumbent: true));
        var onlyIncumbent = SuccessiveHalvingPlan.Create([], 1, seed: 1, incumbent: true); // the grid holds just the configured settings
        Assert.Equal([new Rung(0, 1)], onlyIncumbent.Rungs);
        Assert.Equal(1, onlyIncumbent.Cost);
        var two = SuccessiveHalvingPlan.Create([0, 1, 2, 3, 4, 5], 2, seed: 1, incumbent: true);
        Assert.Equal([new Rung(1, 1)], two.Rungs); // one sampled challenger against the incumbent, both in full
        Assert.Single(two.CandidateIndexes);
    }

    [Fact]
    public void AGridTooLargeForTheBudgetIsSampledTheSameWayForTheSameSeed()
    {
        var plan = SuccessiveHalvingPlan.Create(100, 3, seed: 7);
        Assert.InRange(plan.CandidateIndexes.Count, 2, 99);
        Assert.True(plan.Rungs[0].Fraction >= SuccessiveHalvingPlan.MinimumFraction);
        Assert.Equal(plan.CandidateIndexes, SuccessiveHalvingPlan.Create(100, 3, seed: 7).CandidateIndexes);
        Assert.NotEqual(plan.CandidateIndexes, SuccessiveHalvingPlan.Create(100, 3, seed: 8).CandidateIndexes);
        var sampled = SuccessiveHalvingPlan.Create([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200], 2.5, seed: 7, incumbent: true);
        Assert.All(sampled.CandidateIndexes, i => Assert.Equal(0, i % 10)); // grid indexes, not positions in the list
    }

    [Fact]
    public void ABudgetOfOneRunTrainsOneCandidate()
    {
        var plan = SuccessiveHalvingPlan.Create(6, 1, seed: 1);
        Assert.Equal([new Rung(1, 1)], plan.Rungs);
        Assert.Single(plan.CandidateIndexes);
    }

    [Theory]
    [InlineData(0.125, 24, 3)]
    [InlineData(0.01, 24, 1)]
    [InlineData(1, 63, 63)]
    [InlineData(0.5, 63, 31)]
    [InlineData(1.0 / 3, 63, 21)]
    [InlineData(1.0 / 11, 63, 5)]
    public void StepsAreTheFractionOfAFullRunRoundedDownAtLeastOne(double fraction, int full, int expected) =>
        Assert.Equal(expected, SuccessiveHalvingPlan.Steps(fraction, full));
}
