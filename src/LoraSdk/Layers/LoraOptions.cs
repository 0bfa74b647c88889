using LoraSdk.Shared;

namespace LoraSdk;

/// <summary>
/// The hyper-parameters of one adapter. Defaults and validity rules are those of <c>[LoRA]</c> and the
/// generator (src/Shared/LoraOptionRules.cs).
/// </summary>
public sealed record LoraOptions
{
    /// <summary>The initialisation when none is given (<see cref="LoraInit.Kaiming"/>, as PEFT's default).</summary>
    public static readonly LoraInit DefaultInit = Enum.Parse<LoraInit>(LoraOptionRules.DefaultInit);

    /// <param name="rank">r, greater than 0.</param>
    /// <param name="alpha">lora_alpha, a finite number greater than 0.</param>
    /// <param name="dropout">Dropout probability on the adapter input, in [0, 1).</param>
    /// <param name="useRsLoRA">Scale by alpha / √r instead of alpha / r.</param>
    /// <param name="init">How A and B start; null for <see cref="DefaultInit"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value breaks its rule; the message names it.</exception>
    public LoraOptions(int rank, double alpha, double dropout = LoraOptionRules.DefaultDropout,
        bool useRsLoRA = LoraOptionRules.DefaultUseRsLoRA, LoraInit? init = null)
    {
        foreach (var (option, value, requirement) in LoraOptionRules.Problems(rank, alpha, dropout))
            throw new ArgumentOutOfRangeException(option.ToLowerInvariant(), value, $"LoRA {option.ToLowerInvariant()} must be {requirement}.");
        Rank = rank;
        Alpha = alpha;
        Dropout = dropout;
        UseRsLoRA = useRsLoRA;
        Init = init ?? DefaultInit;
    }

    public int Rank { get; }
    public double Alpha { get; }
    public double Dropout { get; }
    public bool UseRsLoRA { get; }
    public LoraInit Init { get; }

    /// <summary>alpha / r, or alpha / √r with rsLoRA.</summary>
    public double Scaling => UseRsLoRA ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    public static LoraOptions From(LoRAAttribute attribute) =>
        new(attribute.Rank, attribute.Alpha, attribute.Dropout, attribute.UseRsLoRA, attribute.Init);
}
