using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Finds the adapters in a module tree, with the dotted path of each target. The model-wide operations
/// (<c>LoraModelExtensions</c>, adapter files) and a module's own merge (tied-weight check) share it.
/// </summary>
internal static class AdapterTree
{
    /// <summary>The host adapter (see <see cref="LoraAdapter.Host"/>) of every adapted layer, with its target path. Changes nothing.</summary>
    public static IReadOnlyList<(string Path, LoraAdapter Host)> LoraHosts(this nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var result = new List<(string, LoraAdapter)>();
        if (module is LoraAdapter self) result.Add((self.TargetName, self.Host));
        foreach (var (name, child) in module.named_modules())
        {
            if (child is not LoraAdapter adapter || !ReferenceEquals(adapter.Host, adapter)) continue;
            int dot = name.LastIndexOf('.');
            string prefix = dot < 0 ? "" : name[..(dot + 1)];
            result.Add((prefix + adapter.TargetName, adapter));
        }
        return result; // a query: it records nothing (see SharedWeights.RecordTree)
    }

    /// <summary>The active adapter of every adapted layer (the host's, unless named adapters were switched), with its target path.</summary>
    public static IReadOnlyList<(string Path, LoraAdapter Adapter)> ActiveAdapters(this nn.Module module) =>
        module.LoraHosts().Select(h => (h.Path, h.Host.Active)).ToList();
}
