namespace LoraSdk.Training;

/// <summary>A point of the loss curve.</summary>
public sealed record LossPoint(int Step, double? TrainLoss, double? ValidationLoss);
