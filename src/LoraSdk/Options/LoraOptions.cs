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
    /// <param name="base">How the layer's frozen base weight is stored (<see cref="LoraBase"/>); float unless set.</param>
    /// <param name="useDoRA">DoRA: a trainable magnitude per output channel times the normalised W + s·B·A (PEFT's <c>use_dora</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value breaks its rule; the message names it.</exception>
    public LoraOptions(int rank, double alpha, double dropout = LoraOptionRules.DefaultDropout,
        bool useRsLoRA = LoraOptionRules.DefaultUseRsLoRA, LoraInit? init = null, LoraBase @base = LoraBase.Float32,
        bool useDoRA = LoraOptionRules.DefaultUseDoRA)
    {
        foreach (var (option, value, requirement) in LoraOptionRules.Problems(rank, alpha, dropout))
            throw new ArgumentOutOfRangeException(option.ToLowerInvariant(), value, $"LoRA {option.ToLowerInvariant()} must be {requirement}.");
        if (!Enum.IsDefined(@base))
            throw new ArgumentOutOfRangeException(nameof(@base), @base, $"LoRA base must be one of {string.Join(", ", Enum.GetNames<LoraBase>())}.");
        Rank = rank;
        Alpha = alpha;
        Dropout = dropout;
        UseRsLoRA = useRsLoRA;
        Init = init ?? DefaultInit;
        Base = @base;
        UseDoRA = useDoRA;
    }

    /// <summary>r: the inner dimension of B·A.</summary>
    public int Rank { get; }
    /// <summary>The numerator of the scaling (<see cref="Scaling"/>).</summary>
    public double Alpha { get; }
    /// <summary>Dropout probability on the adapter input while training.</summary>
    public double Dropout { get; }
    /// <summary>Scale by alpha / √r (rank-stabilised LoRA) instead of alpha / r.</summary>
    public bool UseRsLoRA { get; }
    /// <summary>How A and B start (and whether PiSSA rewrites the base weight).</summary>
    public LoraInit Init { get; }
    /// <summary>
    /// How the frozen base weight is stored, as declared (<c>[LoRA(Base = …)]</c>): a quantized base is applied at the
    /// layer's first forward, after pretrained weights were loaded. The storage in force is the adapter's <c>BaseStorage</c>.
    /// </summary>
    public LoraBase Base { get; }

    /// <summary>
    /// DoRA (weight-decomposed LoRA, PEFT's <c>use_dora</c>): the layer computes with m ⊙ (W + s·B·A) / ‖W + s·B·A‖, the
    /// norm per output channel and detached from autograd, m a trainable magnitude that starts as that norm.
    /// </summary>
    public bool UseDoRA { get; }

    /// <summary>alpha / r, or alpha / √r with rsLoRA.</summary>
    public double Scaling => UseRsLoRA ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>The options an attribute declares (its alpha defaulting to its rank).</summary>
    public static LoraOptions From(LoRAAttribute attribute) =>
        new(attribute.Rank, attribute.Alpha, attribute.Dropout, attribute.UseRsLoRA, attribute.Init, attribute.Base, attribute.UseDoRA);
}
