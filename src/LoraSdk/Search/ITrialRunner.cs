namespace LoraSdk.Search;

/// <summary>Trains one trial and measures it. The product's runner is <c>Hosting/ChildProcessTrialRunner</c> (the host implements it: Search never depends on Hosting).</summary>
internal interface ITrialRunner
{
    /// <summary>
    /// Trains <paramref name="request"/>; a run that fails returns <see cref="TrialStatus.Failed"/> (never throws for
    /// it). Cancellation throws <see cref="OperationCanceledException"/> and leaves no result; a trial killed from outside
    /// throws <see cref="TrialInterruptedException"/> and leaves none either.
    /// </summary>
    Task<TrialResult> RunAsync(TrialRequest request, CancellationToken cancellationToken);
}
