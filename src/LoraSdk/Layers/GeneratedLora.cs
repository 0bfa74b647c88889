using System.ComponentModel;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Small helpers that code generated for <c>[LoRA]</c> classes calls, kept here so the generated code stays
/// short and its error messages are written once. Not meant to be called by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GeneratedLora
{
    /// <summary>
    /// Attaches the adapter of one target (from the generated <c>RegisterComponents()</c>) with the target's
    /// declared options, changed by the <see cref="LoraOptionsOverride"/> in force, if any.
    /// </summary>
    public static LoraAdapter Attach(nn.Module owner, LoraTargetInfo target, nn.Module? layer)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(target);
        if (layer is null)
            throw new InvalidOperationException(
                $"{owner.GetType().Name}.{target.Name} is null when RegisterComponents() runs: create every layer in the constructor before calling RegisterComponents().");
        var options = LoraOptionsOverride.Current?.ApplyTo(target.Options) ?? target.Options;
        return LoraAdapter.Attach(owner, target.Name, layer, options);
    }

    /// <summary>The adapters of a generated class, or a clear error if its constructor never attached them.</summary>
    public static LoraAdapter[] Attached(LoraAdapter[]? adapters, string className) =>
        adapters ?? throw NotAttached(className);

    public static bool IsMerged(LoraAdapter[] adapters) => adapters.All(a => a.IsMerged);

    /// <summary>Merges every adapter of one module, as MergeLoRA does for a tree (safe: all checked before any changes).</summary>
    public static void Merge(LoraAdapter[] adapters, bool safe) =>
        LoraModelExtensions.MergeAll(adapters.Select(a => (a.TargetName, a)), safe);

    public static void Unmerge(LoraAdapter[] adapters)
    {
        foreach (var adapter in adapters) adapter.Unmerge();
    }

    internal static InvalidOperationException NotAttached(string className, string detail = "") => new(
        $"{className} has no LoRA adapters{detail}: its constructor must call RegisterComponents() after creating its layers " +
        "(the code generated for [LoRA] attaches the adapters there).");
}
