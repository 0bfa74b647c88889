using LoraSdk.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Refuses operations that rewrite a LoRA target's base weight in place (merge, PiSSA initialisation) when that
/// weight is tied to another parameter: the change would reach the other module too, and its output would
/// silently change (tied LM head and embedding: 8.6 % off after a merge). The adapters' unmerged forward never
/// writes W, so tied layers stay correct unmerged.
/// </summary>
internal static class SharedWeights
{
    /// <summary>
    /// Throws when the base weight of any of <paramref name="adapters"/> (paths relative to <paramref name="tree"/>)
    /// shares storage with a parameter of another module of <paramref name="tree"/>. Only that tree is searched: a
    /// module outside it that holds the same tensor is not seen.
    /// </summary>
    public static void EnsureNotTied(nn.Module tree, IEnumerable<(string Path, LoraAdapter Adapter)> adapters, string operation)
    {
        var pending = adapters.ToList();
        if (pending.Count == 0) return;
        var holders = ParameterHolders(tree).ToLookup(h => TensorStorage.Address(h.Parameter));
        foreach (var (path, adapter) in pending)
        {
            var storage = TensorStorage.Address(adapter.BaseWeight);
            if (storage == IntPtr.Zero) continue;
            var other = holders[storage].FirstOrDefault(h => !ReferenceEquals(h.Module, adapter.Target) && h.Module is not LoraAdapter);
            if (other.Module is null) continue;
            string otherModule = other.ModulePath.Length == 0 ? "the root module" : $"'{other.ModulePath}'";
            throw new InvalidOperationException(
                $"Cannot {operation} LoRA adapter '{path}': its base weight is tied to {otherModule} (its parameter " +
                $"'{Join(other.ModulePath, other.Name)}' shares storage with '{path}.weight'), so the change would alter {otherModule} too. " +
                "Tied layers stay correct unmerged: keep the adapter unmerged, or untie the weights (give one layer its own copy) first.");
        }
    }

    /// <summary>
    /// Records <paramref name="tree"/> as the tree that holds its adapters where it contains the tree known so far, so
    /// that a module's own merge (<c>ILoraLayer.Merge</c>, <c>adapter.Merge</c>) also sees a tie to a layer of the model
    /// outside that module. An explicit step of the commands that take a model as a whole — freezing
    /// (<c>FreezeBase</c>, hence the trainer; <c>SaveAdapter</c>'s freeze), loading adapters into it, and
    /// <c>MergeLoRA</c> — never of a query: <c>LoraHosts()</c>, <c>ActiveLoraAdapters()</c>, <c>LoraParameters()</c> and
    /// <c>CountParameters()</c> change nothing.
    /// </summary>
    public static void RecordTree(nn.Module tree, IReadOnlyList<(string Path, LoraAdapter Adapter)>? hosts = null)
    {
        if (tree is LoraAdapter) return;
        HashSet<object>? inside = null;
        foreach (var (_, adapter) in hosts ?? tree.LoraHosts())
        {
            var known = adapter.KnownTree;
            if (ReferenceEquals(known, tree)) continue;
            inside ??= tree.modules().ToHashSet<object>(ReferenceEqualityComparer.Instance);
            if (known is null || inside.Contains(known)) adapter.KnownTree = tree;
        }
    }

    /// <summary>
    /// The widest known tree that holds every one of <paramref name="adapters"/> (the model once a model-wide command recorded
    /// it, else their owner), with their paths in it: what a module-level merge checks for tied weights.
    /// </summary>
    public static (nn.Module Tree, List<(string Path, LoraAdapter Adapter)> Paths) TreeHolding(IReadOnlyCollection<LoraAdapter> adapters)
    {
        var first = adapters.First();
        foreach (var tree in new[] { first.KnownTree, first.Owner }.OfType<nn.Module>())
        {
            var paths = tree.ActiveAdapters().Where(a => adapters.Contains(a.Adapter)).ToList();
            if (paths.Count == adapters.Count) return (tree, paths);
        }
        return (first, adapters.Select(a => (a.TargetName, a)).ToList()); // not registered anywhere: nothing to compare with
    }

    /// <summary>Every (module, parameter) pair of the tree: a tensor held by two modules appears twice, once for each.</summary>
    private static IEnumerable<(string ModulePath, nn.Module Module, string Name, Tensor Parameter)> ParameterHolders(nn.Module tree)
    {
        foreach (var (name, parameter) in tree.named_parameters(recurse: false)) yield return ("", tree, name, parameter);
        foreach (var (path, module) in tree.named_modules())
        {
            foreach (var (name, parameter) in module.named_parameters(recurse: false)) yield return (path, module, name, parameter);
        }
    }

    private static string Join(string modulePath, string name) => modulePath.Length == 0 ? name : modulePath + "." + name;
}
