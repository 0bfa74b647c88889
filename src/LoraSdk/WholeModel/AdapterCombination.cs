namespace LoraSdk;

/// <summary>How <c>AddWeightedAdapter</c> combines adapters (PEFT's <c>combination_type</c>).</summary>
public enum AdapterCombination
{
    /// <summary>
    /// Same rank r: A = Σ √(wᵢsᵢ)·Aᵢ, B = Σ √(wᵢsᵢ)·Bᵢ. The update B·A then holds cross terms (exactly Σ wᵢsᵢBᵢAᵢ
    /// only for one adapter), as in PEFT. Weights must not be negative.
    /// </summary>
    Linear,

    /// <summary>Rank Σ rᵢ: A stacks wᵢsᵢ·Aᵢ, B places the Bᵢ side by side, so B·A = Σ wᵢsᵢ·BᵢAᵢ exactly.</summary>
    Cat,

    /// <summary>
    /// The best rank-r approximation (r = the given SVD rank, or the largest rank) of Σ (wᵢsᵢ)·ΔWᵢ with
    /// ΔWᵢ = sᵢ·BᵢAᵢ, each adapter's update weighted by wᵢ·sᵢ exactly as PEFT's svd path does: B = U·S, A = Vᵀ.
    /// </summary>
    Svd,
}
