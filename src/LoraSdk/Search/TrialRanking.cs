using LoraSdk.Training;

namespace LoraSdk.Search;

/// <summary>
/// Orders trials best first by the metric the task reports: validation accuracy for classification (ties by
/// validation loss), validation loss for language models. Failed trials come last; remaining ties go to the
/// candidate listed first, so the order never depends on which trial finished first.
/// </summary>
internal sealed class TrialRanking(LoraTask task) : IComparer<TrialRecord>
{
    /// <summary>Whether trials are ranked by validation accuracy (classification) rather than validation loss.</summary>
    public bool UsesAccuracy => task == LoraTask.SequenceClassification;

    /// <summary>The ranking metric's name, as the report prints it.</summary>
    public string MetricName => UsesAccuracy ? "validation accuracy" : "validation loss";

    /// <summary>The ranking metric of <paramref name="result"/>.</summary>
    public double? Metric(TrialResult result) => UsesAccuracy ? result.ValidationAccuracy : result.ValidationLoss;

    /// <summary>Negative when <paramref name="x"/> ranks before <paramref name="y"/>.</summary>
    public int Compare(TrialRecord? x, TrialRecord? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return 1;
        if (y is null) return -1;
        int byResult = CompareResults(x, y);
        return byResult != 0 ? byResult : x.Request.Candidate.Index.CompareTo(y.Request.Candidate.Index);
    }

    /// <summary>The order by results alone (status, metric, loss): 0 for a tie, which <see cref="Compare"/> breaks by grid order.</summary>
    public int CompareResults(TrialRecord x, TrialRecord y)
    {
        int byStatus = x.Result.Status.CompareTo(y.Result.Status); // Succeeded first
        if (byStatus != 0) return byStatus;
        if (x.Result.Status == TrialStatus.Succeeded)
        {
            if (UsesAccuracy)
            {
                int byAccuracy = (y.Result.ValidationAccuracy ?? double.MinValue).CompareTo(x.Result.ValidationAccuracy ?? double.MinValue);
                if (byAccuracy != 0) return byAccuracy;
            }
            int byLoss = (x.Result.ValidationLoss ?? double.MaxValue).CompareTo(y.Result.ValidationLoss ?? double.MaxValue);
            if (byLoss != 0) return byLoss;
        }
        return 0;
    }

    /// <summary>A finished run counts as failed when it measured nothing finite to rank it by (NaN or infinite loss: diverged).</summary>
    public TrialResult Judge(TrialResult result) =>
        result.Status == TrialStatus.Succeeded && (result.ValidationLoss is not { } loss || !double.IsFinite(loss) || (UsesAccuracy && result.ValidationAccuracy is null))
            ? result with { Status = TrialStatus.Failed, Failure = "diverged: the validation loss is not a finite number" }
            : result;
}
