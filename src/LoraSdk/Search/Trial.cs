using System.Text.Json.Serialization;

namespace LoraSdk.Search;

/// <summary>What a trial trains: one candidate for a number of optimizer steps.</summary>
internal sealed record TrialRequest(Candidate Candidate, int Rung, int Steps)
{
    /// <summary>Identity in the search state: the same settings trained for the same steps give the same result.</summary>
    [JsonIgnore] public string Key => $"{Candidate.Label} @ {Steps}";
}

/// <summary>How a trial ended.</summary>
internal enum TrialStatus
{
    /// <summary>The run finished with a finite validation metric.</summary>
    Succeeded,

    /// <summary>The run failed, or its validation loss was not finite (diverged): recorded, never promoted.</summary>
    Failed,
}

/// <summary>What a finished trial measured. <see cref="Failure"/> says why a failed one failed.</summary>
internal sealed record TrialResult(
    TrialStatus Status,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double? TrainLoss,
    long? TrainableParameters,
    double Seconds,
    string? Failure = null)
{
    /// <summary>A failed trial: <paramref name="why"/> it failed, after <paramref name="seconds"/> of running.</summary>
    public static TrialResult Failed(string why, double seconds) => new(TrialStatus.Failed, null, null, null, null, seconds, why);
}

/// <summary>A trial of this search and its result, as the state file and the report keep it.</summary>
internal sealed record TrialRecord(TrialRequest Request, TrialResult Result);
