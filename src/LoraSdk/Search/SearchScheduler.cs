namespace LoraSdk.Search;

/// <summary>
/// How a search ended: the winner (null when every trial of a rung failed), every trial of the plan, and the
/// incumbent (the configured settings; null when the search had none) with its full run.
/// </summary>
internal sealed record SearchOutcome(TrialRecord? Winner, IReadOnlyList<TrialRecord> Trials, string? Failure,
    Candidate? Incumbent = null, TrialRecord? IncumbentRun = null)
{
    /// <summary>The incumbent's full run is the winner: no candidate beat the configured settings.</summary>
    public bool IncumbentWon => Winner is not null && Winner == IncumbentRun;
}

/// <summary>
/// Runs a <see cref="SuccessiveHalvingPlan"/>: each rung's trials (at most <c>maxParallel</c> at once), ranked
/// when all are done, the best challengers going on. The incumbent (the configured settings, when given) trains
/// in every rung and is never pruned; the winner is the best of the last rung, the incumbent winning ties. Trials
/// already in the <see cref="SearchState"/> are not rerun; each finished trial is saved at once. Failed trials are
/// recorded and never promoted. Ranking waits for the whole rung, so the result is the same whatever order
/// parallel trials finish in.
/// </summary>
internal sealed class SearchScheduler(
    SuccessiveHalvingPlan plan,
    IReadOnlyList<Candidate> grid,
    Func<Candidate, int> fullRunSteps,
    TrialRanking ranking,
    SearchState state,
    ITrialRunner runner,
    int maxParallel = 1,
    Candidate? incumbent = null)
{
    /// <summary>Told about each trial as it finishes (<c>true</c>: taken from the saved state, not run).</summary>
    public Action<TrialRecord, bool>? TrialFinished { get; init; }

    /// <summary>Whether the winner's saved trial can stand as the result (the service requires its adapter to still exist); else its run is repeated.</summary>
    public Func<TrialRecord, bool> CanReuseWinner { get; init; } = _ => true;

    /// <summary>Runs the plan rung by rung and returns the winner, or the failure when every trial of a rung failed.</summary>
    public async Task<SearchOutcome> RunAsync(CancellationToken cancellationToken)
    {
        if (plan.Incumbent && incumbent is null) throw new ArgumentException("The plan trains an incumbent, and none was given.", nameof(incumbent));
        var all = new List<TrialRecord>();
        var current = plan.CandidateIndexes.Select(i => grid[i]).ToList();
        for (int r = 0; r < plan.Rungs.Count; r++)
        {
            bool last = r == plan.Rungs.Count - 1;
            var candidates = plan.Incumbent ? [incumbent!, .. current] : current;
            var requests = candidates.Select(c => new TrialRequest(c, r, SuccessiveHalvingPlan.Steps(plan.Rungs[r].Fraction, fullRunSteps(c)))).ToList();
            var finished = await RunRungAsync(requests, cancellationToken).ConfigureAwait(false);
            all.AddRange(finished);
            var succeeded = finished.Where(t => t.Result.Status == TrialStatus.Succeeded).ToList();
            if (succeeded.Count == 0)
                return new SearchOutcome(null, all,
                    $"all {finished.Count} trials of round {r + 1} failed; the first: {finished[0].Request.Candidate.Label}: {finished[0].Result.Failure}", incumbent);
            var incumbentRun = plan.Incumbent ? finished[0] : null;
            if (last)
            {
                // The incumbent first: it wins a tie, so the search never trades the configured settings for an equal result.
                var winner = succeeded.OrderBy(t => t, Comparer<TrialRecord>.Create(ranking.CompareResults))
                    .ThenBy(t => t == incumbentRun ? 0 : 1).ThenBy(t => t.Request.Candidate.Index).First();
                if (!CanReuseWinner(winner)) winner = await RerunAsync(winner, all, cancellationToken).ConfigureAwait(false);
                if (incumbentRun is not null && winner.Request == incumbentRun.Request) incumbentRun = winner;
                return new SearchOutcome(winner, all, null, incumbent, incumbentRun);
            }
            current = succeeded.Where(t => t != incumbentRun).Order(ranking).Take(plan.Rungs[r + 1].Candidates).Select(t => t.Request.Candidate).ToList();
        }
        throw new InvalidOperationException("A plan has at least one rung.");
    }

    /// <summary>Trains the winner's trial again (its adapter is gone) and puts the new record in its place.</summary>
    private async Task<TrialRecord> RerunAsync(TrialRecord winner, List<TrialRecord> all, CancellationToken cancellationToken)
    {
        var again = await RunTrialAsync(winner.Request, cancellationToken).ConfigureAwait(false);
        all[all.IndexOf(winner)] = again;
        return again;
    }

    private async Task<TrialRecord> RunTrialAsync(TrialRequest request, CancellationToken cancellationToken)
    {
        var result = ranking.Judge(await runner.RunAsync(request, cancellationToken).ConfigureAwait(false));
        var record = new TrialRecord(request, result);
        state.Add(record);
        TrialFinished?.Invoke(record, false);
        return record;
    }

    private async Task<List<TrialRecord>> RunRungAsync(List<TrialRequest> requests, CancellationToken cancellationToken)
    {
        var results = new TrialRecord?[requests.Count];
        using var slots = new SemaphoreSlim(Math.Max(1, maxParallel));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = requests.Select(async (request, i) =>
        {
            if (state.Find(request.Key) is { } saved)
            {
                results[i] = saved with { Request = request };
                TrialFinished?.Invoke(results[i]!, true);
                return;
            }
            await slots.WaitAsync(stop.Token).ConfigureAwait(false);
            try
            {
                results[i] = await RunTrialAsync(request, stop.Token).ConfigureAwait(false);
            }
            catch
            {
                stop.Cancel(); // one trial's cancellation (or a bug) stops the others too
                throw;
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch when (tasks.FirstOrDefault(t => t.IsFaulted && t.Exception!.InnerException is not OperationCanceledException) is { } faulted)
        {
            throw faulted.Exception!.InnerException!;
        }
        return results.Select(r => r!).ToList();
    }
}
