using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>A module saved in full with the adapter (PEFT's <c>modules_to_save</c>) and its state under file keys.</summary>
internal sealed record SavedModule(string Path, nn.Module Module)
{
    /// <summary>The module's state-dict tensors (parameters and buffers) with their PEFT file keys.</summary>
    public IEnumerable<(string Key, Tensor Tensor)> Tensors() =>
        Module.state_dict().Select(entry => (PeftKeys.For(Path, entry.Key), entry.Value));
}

/// <summary>Finds the modules a <c>modules_to_save</c> list names, with PEFT's matching rule.</summary>
internal static class ModulesToSave
{
    /// <summary>
    /// Resolves every entry: it matches a module whose dotted path equals it or ends with <c>.entry</c>.
    /// An entry that matches nothing, or a module that is or holds a LoRA target, is an error
    /// (<paramref name="fail"/> builds it, so save and load report in their own terms).
    /// </summary>
    public static IReadOnlyList<SavedModule> Resolve(
        nn.Module model, IEnumerable<string> entries, IReadOnlyList<(string Path, LoraAdapter Adapter)> adapters,
        Func<string, string, Exception> fail)
    {
        var modules = model.named_modules().ToList();
        var result = new List<SavedModule>();
        foreach (var entry in entries)
        {
            var matches = modules.Where(m => m.name == entry || m.name.EndsWith("." + entry, StringComparison.Ordinal)).ToList();
            if (matches.Count == 0) throw fail(entry, "names no module of the model.");
            foreach (var (path, module) in matches)
            {
                if (result.Any(r => r.Path == path)) continue;
                if (HoldsLora(module, adapters))
                    throw fail(entry, $"module '{path}' is or contains a LoRA target; modules_to_save must be plain modules.");
                result.Add(new SavedModule(path, module));
            }
        }
        return result;
    }

    private static bool HoldsLora(nn.Module module, IReadOnlyList<(string Path, LoraAdapter Adapter)> adapters)
    {
        if (module is LoraAdapter) return true;
        var inside = module.modules().ToHashSet(ReferenceEqualityComparer.Instance);
        inside.Add(module);
        return adapters.Any(a => inside.Contains(a.Adapter) || inside.Contains(a.Adapter.Target));
    }
}
