namespace LoraSdk.Bench.Variants;

/// <summary>What one variant's full training gave: validation accuracy, optimizer steps and the last training loss.</summary>
internal sealed record AccuracyRun(double Accuracy, int Steps, double FinalLoss);

/// <summary>
/// One fine-tuning task the variants are compared on. <see cref="Train"/> builds the variant's model from a seeded
/// start and trains the whole budget (accuracy does not depend on the machine's load); <see cref="SecondsPerStep"/>
/// then trains that model a few steps more for timing, which the program interleaves across variants.
/// </summary>
internal interface IVariantTask : IDisposable
{
    string Name { get; }

    /// <summary>The budget, for the table: rank, steps, batch, rate.</summary>
    string Budget { get; }

    AccuracyRun Train(Variant variant);

    double SecondsPerStep(Variant variant, int steps);
}
