namespace LoraSdk;

/// <summary>Trainable and total parameter counts of a module tree.</summary>
public readonly record struct ParameterCount(long Trainable, long Total)
{
    /// <summary>Trainable share of all parameters, in percent.</summary>
    public double TrainablePercent => Total == 0 ? 0 : 100.0 * Trainable / Total;

    /// <summary>PEFT's <c>print_trainable_parameters</c> line.</summary>
    public override string ToString() =>
        $"trainable params: {Trainable:N0} || all params: {Total:N0} || trainable%: {TrainablePercent:0.####}";
}
