namespace LoraSdk.Models;

/// <summary>How <see cref="ImageClassifierTrainer"/> trains: AdamW, linear warm-up then cosine decay, seeded batches.</summary>
public sealed record ImageTrainingOptions
{
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.01;
    public int WarmupSteps { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    public long Seed { get; init; } = 42;

    /// <summary>Report the mean training loss every this many steps (0: never).</summary>
    public int LogEvery { get; init; } = 10;
}

/// <summary>What a training run did.</summary>
/// <param name="StepSeconds">Wall time of each optimisation step (forward, backward, update).</param>
public sealed record ImageTrainingResult(int Steps, IReadOnlyList<double> Losses, IReadOnlyList<double> StepSeconds, double? ValidationAccuracy);
