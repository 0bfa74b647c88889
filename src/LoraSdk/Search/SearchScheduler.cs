namespace LoraSdk.Search;

/// <summary>How a search ended: the winner (null when every trial of a rung failed) and every trial of the plan.</summary>
public sealed record SearchOutcome(TrialRecord? Winner, IReadOnlyList<TrialRecord> Trials, string? Failure);

/// <summary>
/// Runs a <see cref="SuccessiveHalvingPlan"/>: each rung's trials (at most <c>maxParallel</c> at once), ranked
/// when all are done, the best going on. Trials already in the <see cref="SearchState"/> are not rerun; each
/// finished trial is saved at once. Failed trials are recorded and never promoted. Ranking waits for the whole
/// rung, so the result is the same whatever order parallel trials finish in.
/// </summary>
public sealed class SearchScheduler(
    SuccessiveHalvingPlan plan,
    IReadOnlyList<Candidate> grid,
    Func<Candidate, int> fullRunSteps,
    TrialRanking ranking,
    SearchState state,
    ITrialRunner runner,
    int maxParallel = 1)
{
    /// <summary>Told about each trial as it finishes (<c>true</c>: taken from the saved state, not run).</summary>
    public Action<TrialRecord, bool>? TrialFinished { get; init; }

    /// <summary>Whether a saved trial can stand for a run of the final rung (the service requires its adapter to still exist).</summary>
    public Func<TrialRecord, bool> CanReuseWinner { get; init; } = _ => true;

    public async Task<SearchOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var all = new List<TrialRecord>();
        var current = plan.CandidateIndexes.Select(i => grid[i]).ToList();
        for (int r = 0; r < plan.Rungs.Count; r++)
        {
            bool last = r == plan.Rungs.Count - 1;
            var requests = current.Select(c => new TrialRequest(c, r, SuccessiveHalvingPlan.Steps(plan.Rungs[r].Fraction, fullRunSteps(c)))).ToList();
            var finished = await RunRungAsync(requests, last, cancellationToken).ConfigureAwait(false);
            all.AddRange(finished);
            var ranked = finished.Order(ranking).ToList();
            var succeeded = ranked.Where(t => t.Result.Status == TrialStatus.Succeeded).ToList();
            if (succeeded.Count == 0)
                return new SearchOutcome(null, all,
                    $"all {finished.Count} trials of round {r + 1} failed; the first: {finished[0].Request.Candidate.Label}: {finished[0].Result.Failure}");
            if (last) return new SearchOutcome(succeeded[0], all, null);
            current = succeeded.Take(plan.Rungs[r + 1].Candidates).Select(t => t.Request.Candidate).ToList();
        }
        throw new InvalidOperationException("A plan has at least one rung.");
    }

    private async Task<List<TrialRecord>> RunRungAsync(List<TrialRequest> requests, bool last, CancellationToken cancellationToken)
    {
        var results = new TrialRecord?[requests.Count];
        using var slots = new SemaphoreSlim(Math.Max(1, maxParallel));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = requests.Select(async (request, i) =>
        {
            if (state.Find(request.Key) is { } saved && (!last || CanReuseWinner(saved)))
            {
                results[i] = saved with { Request = request };
                TrialFinished?.Invoke(results[i]!, true);
                return;
            }
            await slots.WaitAsync(stop.Token).ConfigureAwait(false);
            try
            {
                var result = ranking.Judge(await runner.RunAsync(request, stop.Token).ConfigureAwait(false));
                var record = new TrialRecord(request, result);
                state.Add(record);
                results[i] = record;
                TrialFinished?.Invoke(record, false);
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
