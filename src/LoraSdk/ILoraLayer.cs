namespace LoraSdk;

/// <summary>
/// Implemented by the generated half of every <c>[LoRA]</c> class: its adapters, their static description
/// and merge control for this module alone (model-wide operations are in <see cref="LoraModelExtensions"/>).
/// </summary>
public interface ILoraLayer
{
    /// <summary>This module's adapters, in declaration order.</summary>
    IReadOnlyList<LoraAdapter> LoraAdapters { get; }

    /// <summary>True when every adapter of this module is merged.</summary>
    bool IsMerged { get; }

    /// <summary>Merges this module's adapters into their base weights, with the checks of <see cref="LoraModelExtensions.MergeLoRA"/>.</summary>
    /// <param name="safe">Check every merged weight for NaN/Inf before changing any.</param>
    void Merge(bool safe = false);

    /// <summary>Subtracts this module's merged updates from the base weights again.</summary>
    void Unmerge();
}
