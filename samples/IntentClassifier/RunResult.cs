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
    double Seconds,
    long TrainingPeakRssBytes = 0,
    long BaseWeightBytes = 0,
    long BaseWeightFloat32Bytes = 0);
