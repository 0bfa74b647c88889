using LoraSdk.Data;

namespace LoraSdk.Search;

/// <summary>One round of successive halving: how many candidates train, each for what fraction of a full run.</summary>
public sealed record Rung(int Candidates, double Fraction);

/// <summary>
/// Successive halving within a budget (in full runs): every candidate trains briefly, the best third goes on
/// to a longer run, and so on until one candidate trains a full run and is the winner. The last rung costs one
/// run; the rest of the budget is split equally between the earlier rungs (as Hyperband splits a bracket), so
/// the total never exceeds the budget. When the grid is too large for the shortest trial to be at least
/// <see cref="MinimumFraction"/> of a run, a seeded sample of it is searched.
/// </summary>
public sealed record SuccessiveHalvingPlan(IReadOnlyList<int> CandidateIndexes, IReadOnlyList<Rung> Rungs)
{
    /// <summary>Candidates kept per rung: 1/Eta go on (rounded up).</summary>
    public const int Eta = 3;

    /// <summary>The shortest trial worth ranking: a sixteenth of a full run.</summary>
    public const double MinimumFraction = 1.0 / 16;

    /// <summary>Full runs the plan trains at most (trials shorter than a step still take one: see <see cref="Steps"/>).</summary>
    public double Cost => Rungs.Sum(r => r.Candidates * r.Fraction);

    public static SuccessiveHalvingPlan Create(int gridSize, double budget, long seed)
    {
        if (gridSize < 1) throw new ArgumentOutOfRangeException(nameof(gridSize), gridSize, "A search needs at least one candidate.");
        if (!(budget >= 1)) throw new ArgumentOutOfRangeException(nameof(budget), budget, "The budget must be at least one full run.");
        int count = gridSize;
        var rungs = RungsFor(count, budget);
        while (count > 1 && rungs[0].Fraction < MinimumFraction) rungs = RungsFor(--count, budget);
        // A sample of the grid, in grid order (the seed picks which; the order breaks ties).
        var indexes = count == gridSize
            ? Enumerable.Range(0, gridSize).ToList()
            : DataSplit.Permutation(gridSize, seed).Take(count).Order().ToList();
        return new SuccessiveHalvingPlan(indexes, rungs);
    }

    /// <summary>Optimizer steps of a trial at <paramref name="fraction"/> of a <paramref name="fullRunSteps"/>-step run (at least one).</summary>
    public static int Steps(double fraction, int fullRunSteps) => Math.Clamp((int)Math.Round(fraction * fullRunSteps), 1, fullRunSteps);

    private static List<Rung> RungsFor(int count, double budget)
    {
        var sizes = new List<int> { count };
        while (sizes[^1] > 1) sizes.Add((sizes[^1] + Eta - 1) / Eta);
        if (sizes.Count == 1) return [new Rung(1, 1)];
        double perRung = (budget - 1) / (sizes.Count - 1);
        var rungs = sizes.Take(sizes.Count - 1).Select(n => new Rung(n, Math.Min(1, perRung / n))).ToList();
        rungs.Add(new Rung(1, 1));
        return rungs;
    }
}
