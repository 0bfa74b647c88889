namespace LoraSdk.Models;

/// <summary>How <see cref="ImageClassifierTrainer"/> trains: AdamW, linear warm-up then cosine decay, seeded batches.</summary>
public sealed record ImageTrainingOptions
{
    /// <summary>Passes over the training images.</summary>
    public int Epochs { get; init; } = 3;
    /// <summary>Images per optimizer step.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Peak AdamW learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>
    /// LoRA+ (PEFT's <c>loraplus_lr_ratio</c>): the <c>lora_B</c> matrices (and, as PEFT, every 1-D tensor: the head's
    /// bias, batch-norm weights) train at this many times <see cref="LearningRate"/>; 1 (the default) is plain LoRA, the
    /// optimizer exactly as without it. The groups are the text trainer's (docs/training.md, "LoRA+"); the warm-up and
    /// cosine schedule scales every group alike. Must be a positive number.
    /// </summary>
    public double LoraPlusLrRatio { get; init; } = 1;

    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Steps of linear warm-up before the cosine decay.</summary>
    public int WarmupSteps { get; init; }
    /// <summary>Global gradient-norm clip; 0 turns clipping off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Seed of the batch shuffling.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Report the mean training loss every this many steps (0: never).</summary>
    public int LogEvery { get; init; } = 10;
}

/// <summary>What a training run did.</summary>
/// <param name="StepSeconds">Wall time of each optimisation step (forward, backward, update).</param>
/// <param name="Steps">Optimisation steps run.</param>
/// <param name="Losses">The training loss of each step.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation images, when given.</param>
public sealed record ImageTrainingResult(int Steps, IReadOnlyList<double> Losses, IReadOnlyList<double> StepSeconds, double? ValidationAccuracy);
