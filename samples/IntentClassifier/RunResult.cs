namespace IntentClassifier;

/// <summary>What one training mode achieved and cost; printed as one JSON line so the parent process can collect it.</summary>
public sealed record RunResult(
    string Mode,
    double ValidationAccuracy,
    long TrainableParameters,
    long ModelParameters,
    double MeanStepMilliseconds,
    int Steps,
    long PeakRssBytes,
    long SavedBytes,
    string SavedWhat,
    double Seconds);
