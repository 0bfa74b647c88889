using LoraSdk.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>Model-wide LoRA operations on any module tree (they recurse into every child).</summary>
public static class LoraModelExtensions
{
    /// <summary>
    /// The active adapter of every adapted layer in the tree with the dotted path of its target (e.g.
    /// <c>blocks.0.query</c>); with several named adapters, those of <see cref="MultiAdapterExtensions.ActiveAdapter"/>.
    /// </summary>
    public static IReadOnlyList<(string Path, LoraAdapter Adapter)> ActiveLoraAdapters(this nn.Module module) => module.ActiveAdapters();

    /// <summary>The former name of <see cref="ActiveLoraAdapters"/>.</summary>
    [Obsolete("Renamed ActiveLoraAdapters(): the active adapter of every adapted layer in the tree, unlike ILoraLayer.ModuleAdapters (one module's own) and LoraAdapter.AllLayerAdapters (every named adapter of one layer).")]
    public static IReadOnlyList<(string Path, LoraAdapter Adapter)> LoraAdapters(this nn.Module module) => module.ActiveAdapters();

    /// <summary>
    /// The trainable LoRA tensors of the tree, named as in adapter files: <c>&lt;path&gt;.lora_A.weight</c>.
    /// A query: it freezes nothing (see <see cref="FreezeBase"/> for when the rest of the tree is frozen).
    /// </summary>
    public static IReadOnlyList<(string Name, Tensor Parameter)> LoraParameters(this nn.Module module) =>
        module.ActiveLoraAdapters()
            .SelectMany(a => a.Adapter.ParameterNames.Select(p => (a.Path + "." + p.Name, p.Parameter)))
            .ToList();

    /// <summary>
    /// Trainable (requires_grad) and total parameter counts as they stand, like PEFT's print_trainable_parameters.
    /// A tensor held by two modules (tied weights) counts once. A query: it freezes nothing, so a plain parent's own
    /// layers count as trainable until <see cref="FreezeBase"/>, the trainer or <c>SaveAdapter</c> froze them.
    /// </summary>
    public static ParameterCount CountParameters(this nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        long trainable = 0, total = 0;
        var seen = new HashSet<(IntPtr, long, long)>();
        foreach (var p in module.parameters())
        {
            if (!seen.Add(TensorStorage.Identity(p))) continue;
            total += p.numel();
            if (p.requires_grad) trainable += p.numel();
        }
        total += module.QuantizedBaseElements(); // quantized weights are buffers now; count what they stand for (as PEFT does)
        return new ParameterCount(trainable, total);
    }

    /// <summary>
    /// Freezes every parameter that is not a LoRA parameter, except those of the modules whose dotted path
    /// (or last name part) is listed in <paramref name="modulesToSave"/> (PEFT's <c>modules_to_save</c>), and
    /// unfreezes those. The freezing steps, in order: generated code freezes each <c>[LoRA]</c> class's subtree when it
    /// is built (<c>RegisterComponents()</c> calls this); a plain parent's own layers stay as they are until this is
    /// called on the parent, or <c>SaveAdapter</c> or the trainer (created or started) freezes them (keeping nothing);
    /// a subtree frozen explicitly (or by generated code) keeps its state then. Queries never freeze.
    /// </summary>
    public static void FreezeBase(this nn.Module module, params string[] modulesToSave)
    {
        ArgumentNullException.ThrowIfNull(module);
        var keep = new HashSet<string>(modulesToSave, StringComparer.Ordinal);
        // Only the active adapters' factors train (PEFT: the other named adapters stay frozen).
        var active = module.ActiveLoraAdapters().SelectMany(a => a.Adapter.ParameterNames).Select(p => p.Parameter.Handle).ToHashSet();
        foreach (var (name, parameter) in module.named_parameters())
            parameter.requires_grad = active.Contains(parameter.Handle) || ModelFreezing.IsUnder(name, keep);
        ModelFreezing.MarkDecided(module);
        SharedWeights.RecordTree(module);
    }

    /// <summary>
    /// Merges every adapter of the tree. With <paramref name="safe"/>, a refused merge (NaN/Inf, naming the
    /// adapter's path) leaves the whole model as it was, bit for bit.
    /// </summary>
    /// <exception cref="InvalidOperationException">A target's base weight is tied to another module of the tree (both paths named); nothing changed.</exception>
    public static void MergeLoRA(this nn.Module module, bool safe = false)
    {
        SharedWeights.RecordTree(module);
        AdapterMerge.MergeAll(module, module.ActiveLoraAdapters(), safe);
    }

    /// <summary>Unmerges every merged adapter of the tree.</summary>
    public static void UnmergeLoRA(this nn.Module module)
    {
        foreach (var (_, adapter) in module.ActiveLoraAdapters()) adapter.Unmerge();
    }

    /// <summary>
    /// Re-initialises every adapter of the tree as its options say. Needed with PiSSA after loading pretrained
    /// base weights: adapters are created with the model, so PiSSA first decomposed the freshly initialised
    /// weights, and loading overwrote W afterwards. Refuses while any adapter is merged (unmerge first).
    /// </summary>
    public static void ResetLoRA(this nn.Module module)
    {
        var adapters = module.ActiveLoraAdapters();
        var merged = adapters.Where(a => a.Adapter.IsMerged).Select(a => a.Path).ToList();
        if (merged.Count > 0)
            throw new InvalidOperationException($"Cannot re-initialise merged LoRA adapters ({string.Join(", ", merged)}); call UnmergeLoRA() first.");
        SharedWeights.EnsureNotTied(module, adapters.Where(a => a.Adapter.Options.Init == LoraInit.PiSSA), "re-initialise with PiSSA (it rewrites the base weight)");
        foreach (var (_, adapter) in adapters) adapter.ResetLoraParameters();
    }

    /// <summary>
    /// Turns every adapter off until the returned object is disposed (base-model outputs). A merged
    /// adapter's update lives in the base weight, so it is unmerged for the duration and merged again on
    /// dispose (as PEFT's disable_adapter unmerges). Disposing twice does nothing more.
    /// </summary>
    public static IDisposable DisableLoRA(this nn.Module module)
    {
        var changed = module.LoraHosts().SelectMany(h => h.Host.AllLayerAdapters).Where(a => a.Enabled).ToList();
        var unmerged = changed.Where(a => a.IsMerged).ToList();
        foreach (var adapter in unmerged) adapter.Unmerge();
        foreach (var adapter in changed) adapter.Enabled = false;
        return new Restore(changed, unmerged);
    }

    /// <summary>Re-enables adapters that were switched off by hand (not needed after disposing <see cref="DisableLoRA"/>).</summary>
    public static void EnableLoRA(this nn.Module module)
    {
        foreach (var adapter in module.LoraHosts().SelectMany(h => h.Host.AllLayerAdapters)) adapter.Enabled = true;
    }

    private sealed class Restore(List<LoraAdapter> disabled, List<LoraAdapter> unmerged) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var adapter in disabled) adapter.Enabled = true;
            foreach (var adapter in unmerged) adapter.MergeChecked(safe: false); // merged before: restore that state
        }
    }
}
