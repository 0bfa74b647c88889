namespace LoraSdk;

/// <summary>
/// Implemented by the generated half of every <c>[LoRA]</c> class: its adapters, their static description
/// and merge control for this module alone (model-wide operations are in <see cref="LoraModelExtensions"/>).
/// </summary>
public interface ILoraLayer
{
    /// <summary>
    /// This module's own adapters (its targets', after those of a <c>[LoRA]</c> base class), in declaration order: the
    /// active adapter of each. The model-wide list, with target paths, is <see cref="LoraModelExtensions.ActiveLoraAdapters"/>.
    /// </summary>
    IReadOnlyList<LoraAdapter> ModuleAdapters { get; }

    /// <summary>The former name of <see cref="ModuleAdapters"/>.</summary>
    [Obsolete("Renamed ModuleAdapters: this module's own adapters, unlike the model-wide ActiveLoraAdapters().")]
    IReadOnlyList<LoraAdapter> LoraAdapters => ModuleAdapters;

    /// <summary>True when every adapter of this module is merged.</summary>
    bool IsMerged { get; }

    /// <summary>Merges this module's adapters into their base weights, with the checks of <see cref="LoraModelExtensions.MergeLoRA"/>.</summary>
    /// <param name="safe">Check every merged weight for NaN/Inf before changing any.</param>
    void Merge(bool safe = false);

    /// <summary>Subtracts this module's merged updates from the base weights again.</summary>
    void Unmerge();
}
