using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Merging adapters into their base weights, all or none: tied base weights are refused and, when safe, every merged
/// weight is checked for NaN/Inf before any weight changes. One adapter's <c>Merge</c>, a generated module's
/// <c>ILoraLayer.Merge</c> and the model-wide <c>MergeLoRA</c> all come here.
/// </summary>
internal static class AdapterMerge
{
    /// <summary>
    /// Merges <paramref name="adapters"/> (of one module), looking for tied base weights in the widest tree known to hold
    /// them (the model, once a model-wide command recorded it).
    /// </summary>
    public static void Merge(IReadOnlyCollection<LoraAdapter> adapters, bool safe)
    {
        if (adapters.Count == 0) return;
        var (tree, paths) = SharedWeights.TreeHolding(adapters);
        MergeAll(tree, paths, safe);
    }

    /// <summary>
    /// Merges the adapters not merged yet. With <paramref name="safe"/> every one is checked before any weight
    /// changes: undoing merges by subtraction would not restore the weights exactly (W + Δ − Δ ≠ W in float).
    /// Tied base weights are looked for in <paramref name="tree"/> (the module the call was made on) and refused
    /// before anything changes.
    /// </summary>
    public static void MergeAll(nn.Module tree, IEnumerable<(string Name, LoraAdapter Adapter)> adapters, bool safe)
    {
        var pending = adapters.Where(a => !a.Adapter.IsMerged).ToList();
        foreach (var (name, adapter) in pending) adapter.NamedSet.EnsureNoMixedScope($"merge '{name}'");
        foreach (var (name, adapter) in pending) adapter.Base.EnsureFloat("merge", name);
        SharedWeights.EnsureNotTied(tree, pending, "merge");
        if (safe)
        {
            foreach (var (name, adapter) in pending) adapter.EnsureMergeIsFinite(name);
        }
        foreach (var (_, adapter) in pending) adapter.MergeChecked(safe: false);
    }
}
