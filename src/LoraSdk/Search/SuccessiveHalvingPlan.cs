using LoraSdk.Data;

namespace LoraSdk.Search;

/// <summary>
/// One round of successive halving: how many challengers train in it, each up to what fraction of a full run
/// (cumulative: a promoted candidate continues from where its previous round paused).
/// </summary>
internal sealed record Rung(int Candidates, double Fraction);

/// <summary>
/// Successive halving within a budget (in full runs), ASHA-style: a trial of round k runs the first
/// <see cref="Rung.Fraction"/> of the candidate's full run (its schedule, not a compressed one), and a promoted
/// candidate continues from its checkpoint, so a round costs only the steps it adds. The best third of the
/// challengers goes on each round, until one challenger is trained in full. With an incumbent (the configured
/// settings), it trains in every round too, is never pruned, and reaches the full run beside the last challenger.
/// The fractions grow by <see cref="Eta"/> per round and are as long as the budget allows; when even then the first
/// round's trials would be shorter than <see cref="MinimumFraction"/> of a run, a seeded sample of the grid is searched.
/// </summary>
internal sealed record SuccessiveHalvingPlan(IReadOnlyList<int> CandidateIndexes, IReadOnlyList<Rung> Rungs, bool Incumbent = false)
{
    /// <summary>Candidates kept per rung: 1/Eta go on (rounded up); also the growth of the trials' length per rung.</summary>
    public const int Eta = 3;

    /// <summary>The shortest trial worth ranking: a sixteenth of a full run.</summary>
    public const double MinimumFraction = 1.0 / 16;

    /// <summary>The smallest budget a search with an incumbent can have: the incumbent and the last challenger each train a full run.</summary>
    public const double MinimumBudgetWithIncumbent = 2;

    /// <summary>
    /// Full runs the plan trains at most: each rung's trials (with the incumbent) train from the previous rung's
    /// fraction to their own (trials shorter than a step still take one: see <see cref="Steps"/>).
    /// </summary>
    public double Cost => CostOf(Rungs, Incumbent);

    /// <summary>
    /// Plans a search of the <paramref name="challengers"/> candidates of a grid (besides the incumbent, when
    /// <paramref name="incumbent"/>) within <paramref name="budget"/> full runs; <paramref name="seed"/> picks the
    /// sample when there are too many. <paramref name="challengers"/> lists grid indexes in grid order.
    /// </summary>
    public static SuccessiveHalvingPlan Create(IReadOnlyList<int> challengers, double budget, long seed, bool incumbent)
    {
        if (challengers.Count < 1 && !incumbent) throw new ArgumentOutOfRangeException(nameof(challengers), challengers.Count, "A search needs at least one candidate.");
        double minimum = incumbent && challengers.Count > 0 ? MinimumBudgetWithIncumbent : 1;
        if (!(budget >= minimum)) throw new ArgumentOutOfRangeException(nameof(budget), budget, $"The budget must be at least {minimum} full runs.");
        if (challengers.Count == 0) return new SuccessiveHalvingPlan([], [new Rung(0, 1)], incumbent);
        int count = challengers.Count;
        var rungs = RungsFor(count, budget, incumbent);
        while (count > 1 && rungs[0].Fraction < MinimumFraction) rungs = RungsFor(--count, budget, incumbent);
        // A sample of the grid, in grid order (the seed picks which; the order breaks ties).
        var indexes = count == challengers.Count
            ? challengers.ToList()
            : DataSplit.Permutation(challengers.Count, seed).Take(count).Order().Select(i => challengers[i]).ToList();
        return new SuccessiveHalvingPlan(indexes, rungs, incumbent);
    }

    /// <summary>A plan without incumbent over a whole <paramref name="gridSize"/>-candidate grid.</summary>
    public static SuccessiveHalvingPlan Create(int gridSize, double budget, long seed) =>
        Create(Enumerable.Range(0, Math.Max(0, gridSize)).ToList(), budget, seed, incumbent: false);

    /// <summary>
    /// Optimizer steps of a trial at <paramref name="fraction"/> of a <paramref name="fullRunSteps"/>-step run, rounded
    /// down (at least one): the steps a round adds then never exceed what the plan paid for.
    /// </summary>
    public static int Steps(double fraction, int fullRunSteps) => Math.Clamp((int)Math.Floor(fraction * fullRunSteps + 1e-9), 1, fullRunSteps);

    private static double CostOf(IReadOnlyList<Rung> rungs, bool incumbent)
    {
        double cost = 0, before = 0;
        foreach (var rung in rungs)
        {
            cost += (rung.Candidates + (incumbent ? 1 : 0)) * (rung.Fraction - before);
            before = rung.Fraction;
        }
        return cost;
    }

    /// <summary>
    /// Rungs of <paramref name="count"/>, ⌈count/η⌉, ..., 1 challengers; the last at a full run, the earlier ones at
    /// x, ηx, η²x, ... (capped at a full run) with the largest x whose cost fits the budget.
    /// </summary>
    private static List<Rung> RungsFor(int count, double budget, bool incumbent)
    {
        var sizes = new List<int> { count };
        while (sizes[^1] > 1) sizes.Add((sizes[^1] + Eta - 1) / Eta);
        List<Rung> With(double x) => sizes.Select((n, k) => new Rung(n, k == sizes.Count - 1 ? 1 : Math.Min(1, x * Math.Pow(Eta, k)))).ToList();
        if (CostOf(With(1), incumbent) <= budget) return With(1);
        // The cost grows with x: bisect for the largest x within the budget (the final full runs alone fit, by the minimum budget).
        double low = 0, high = 1;
        for (int i = 0; i < 60; i++)
        {
            double mid = (low + high) / 2;
            if (CostOf(With(mid), incumbent) <= budget) low = mid; else high = mid;
        }
        return With(low);
    }
}
