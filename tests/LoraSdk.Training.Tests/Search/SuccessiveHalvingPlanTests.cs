using LoraSdk.Search;

namespace LoraSdk.Training.Tests.Search;

public class SuccessiveHalvingPlanTests
{
    [Theory]
    [InlineData(12, 12)]
    [InlineData(12, 3)]
    [InlineData(6, 3)]
    [InlineData(2, 2)]
    [InlineData(100, 5)]
    [InlineData(7, 1.5)]
    public void StaysWithinTheBudgetKeepsAThirdPerRoundAndEndsWithOneFullRun(int grid, double budget)
    {
        var plan = SuccessiveHalvingPlan.Create(grid, budget, seed: 42);
        Assert.True(plan.Cost <= budget + 1e-9, $"cost {plan.Cost} > budget {budget}");
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
    public void TheIssuesExampleSplitsTheBudgetEquallyOverTheEarlierRounds()
    {
        var plan = SuccessiveHalvingPlan.Create(12, 12, seed: 42);
        Assert.Equal([12, 4, 2, 1], plan.Rungs.Select(r => r.Candidates));
        Assert.Equal(11.0 / 3 / 12, plan.Rungs[0].Fraction, 12);
        Assert.Equal(11.0 / 3 / 4, plan.Rungs[1].Fraction, 12);
        Assert.Equal(1, plan.Rungs[2].Fraction); // 11/3/2 > 1: capped at a full run
        Assert.Equal(Enumerable.Range(0, 12), plan.CandidateIndexes);
    }

    [Fact]
    public void AGridTooLargeForTheBudgetIsSampledTheSameWayForTheSameSeed()
    {
        var plan = SuccessiveHalvingPlan.Create(100, 3, seed: 7);
        Assert.InRange(plan.CandidateIndexes.Count, 2, 99);
        Assert.True(plan.Rungs[0].Fraction >= SuccessiveHalvingPlan.MinimumFraction);
        Assert.Equal(plan.CandidateIndexes, SuccessiveHalvingPlan.Create(100, 3, seed: 7).CandidateIndexes);
        Assert.NotEqual(plan.CandidateIndexes, SuccessiveHalvingPlan.Create(100, 3, seed: 8).CandidateIndexes);
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
    [InlineData(0.5, 63, 32)]
    public void StepsAreTheFractionOfAFullRunAtLeastOne(double fraction, int full, int expected) =>
        Assert.Equal(expected, SuccessiveHalvingPlan.Steps(fraction, full));
}
