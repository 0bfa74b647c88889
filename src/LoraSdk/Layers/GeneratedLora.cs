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
        if (LoraOptionsOverride.Current?.Selects(target.Name) == false) return LoraAdapter.Standby(owner, target.Name, layer, options);
        return LoraAdapter.Attach(owner, target.Name, layer, options);
    }

    /// <summary>
    /// Attaches the adapter of an optional target (declared nullable, e.g. <c>Linear? downsample</c>): a layer
    /// that is null when <c>RegisterComponents()</c> runs is simply not adapted (no adapter, nothing in adapter files).
    /// </summary>
    public static LoraAdapter[] AttachIfPresent(nn.Module owner, LoraTargetInfo target, nn.Module? layer) =>
        layer is null ? [] : [Attach(owner, target, layer)];


    /// <summary>
    /// Attaches one adapter per layer of a <c>ModuleList&lt;T&gt;</c> target, named <c>&lt;target&gt;.&lt;index&gt;</c>
    /// as PEFT names them (<c>experts.0</c>). Layers added to the list later are not adapted.
    /// </summary>
    public static LoraAdapter[] AttachEach<T>(nn.Module owner, LoraTargetInfo target, TorchSharp.Modules.ModuleList<T>? layers)
        where T : nn.Module =>
        AttachAll(owner, target, layers?.Select((layer, index) => (index.ToString(System.Globalization.CultureInfo.InvariantCulture), (nn.Module)layer)));

    /// <summary>As <see cref="AttachEach{T}(nn.Module, LoraTargetInfo, TorchSharp.Modules.ModuleList{T})"/> for a <c>ModuleDict&lt;T&gt;</c>: <c>&lt;target&gt;.&lt;key&gt;</c>.</summary>
    public static LoraAdapter[] AttachEach<T>(nn.Module owner, LoraTargetInfo target, TorchSharp.Modules.ModuleDict<T>? layers)
        where T : nn.Module =>
        AttachAll(owner, target, ((IEnumerable<(string Key, T Layer)>?)layers)?.Select(e => (e.Key, (nn.Module)e.Layer))); // insertion order

    private static LoraAdapter[] AttachAll(nn.Module owner, LoraTargetInfo target, IEnumerable<(string Key, nn.Module Layer)>? layers)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(target);
        if (layers is null)
            throw new InvalidOperationException(
                $"{owner.GetType().Name}.{target.Name} is null when RegisterComponents() runs: create the collection and its layers in the constructor before calling RegisterComponents().");
        var options = LoraOptionsOverride.Current?.ApplyTo(target.Options) ?? target.Options;
        if (LoraOptionsOverride.Current?.Selects(target.Name) == false)
            return layers.Select(e => LoraAdapter.Standby(owner, $"{target.Name}.{e.Key}", e.Layer, options)).ToArray();
        return layers.Select(e => LoraAdapter.Attach(owner, $"{target.Name}.{e.Key}", e.Layer, options)).ToArray();
    }

    /// <summary>
    /// The active adapter of each target of a generated class (the attached ones unless named adapters were
    /// switched, or a target was left unadapted or re-targeted at run time: then the router's current adapter of
    /// each layer, none for a layer left plain), or a clear error if its constructor never attached them.
    /// </summary>
    public static LoraAdapter[] Attached(LoraAdapter[]? adapters, string className)
    {
        if (adapters is null) throw NotAttached(className);
        if (!adapters.Any(a => a.Detached || !ReferenceEquals(a.Active, a))) return adapters;
        return adapters.Select(a => LoraRouter.TryGetAdapter(a.Target, out var current) ? current : null).OfType<LoraAdapter>().ToArray();
    }

    /// <summary>True when every adapter of one generated module is merged.</summary>
    public static bool IsMerged(LoraAdapter[] adapters) => adapters.All(a => a.IsMerged);

    /// <summary>
    /// Merges every adapter of one module, as MergeLoRA does for a tree (safe: all checked before any changes).
    /// Tied base weights are looked for in the widest tree known to hold the module (the model, once a model-wide command recorded it: see SharedWeights.RecordTree).
    /// </summary>
    public static void Merge(LoraAdapter[] adapters, bool safe) => AdapterMerge.Merge(adapters, safe);

    /// <summary>Unmerges every adapter of one generated module.</summary>
    public static void Unmerge(LoraAdapter[] adapters)
    {
        foreach (var adapter in adapters) adapter.Unmerge();
    }

    internal static InvalidOperationException NotAttached(string className, string detail = "") => new(
        $"{className} has no LoRA adapters{detail}: its constructor must call RegisterComponents() after creating its layers " +
        "(the code generated for [LoRA] attaches the adapters there).");
}
