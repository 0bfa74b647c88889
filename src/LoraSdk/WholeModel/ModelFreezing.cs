using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// PEFT's freezing scope: once a model holds adapters, every parameter outside the adapters and the declared
/// modules_to_save is frozen in the whole model, a non-LoRA parent's own layers included. Generated code
/// freezes a <c>[LoRA]</c> class's subtree when it is built; the whole tree is frozen by an explicit
/// <c>FreezeBase()</c> or by the first command that trains or saves it (<c>SaveAdapter</c>, the trainer), because
/// TorchSharp gives a module no way to reach the module that holds it. Queries (<c>LoraParameters()</c>,
/// <c>CountParameters()</c>) never freeze.
/// </summary>
internal static class ModelFreezing
{
    // Trees whose freezing was decided (FreezeBase, generated code, or a lazy freeze): their state is left as it is.
    private static readonly ConditionalWeakTable<nn.Module, object> Decided = new();
    private static readonly object Marker = new();

    public static void MarkDecided(nn.Module tree) => Decided.AddOrUpdate(tree, Marker);

    /// <summary>
    /// Freezes every parameter of a tree with adapters that lies outside the adapters and outside subtrees whose
    /// freezing was already decided (so an explicit <c>FreezeBase("head")</c> or a parameter unfrozen after it
    /// stays as the user left it). Runs once per tree; a tree without adapters is left alone.
    /// </summary>
    public static void EnsureFrozen(nn.Module tree)
    {
        if (tree is LoraAdapter) return;
        SharedWeights.RecordTree(tree);
        if (Decided.TryGetValue(tree, out _)) return;
        if (tree.ActiveLoraAdapters().Count == 0) return;
        FreezeUndecided(tree);
        MarkDecided(tree);
    }

    private static void FreezeUndecided(nn.Module module)
    {
        foreach (var (_, parameter) in module.named_parameters(recurse: false)) parameter.requires_grad = false;
        foreach (var (_, child) in module.named_children())
        {
            if (child is not LoraAdapter && !Decided.TryGetValue(child, out _)) FreezeUndecided(child);
        }
    }

    /// <summary>
    /// Trainable parameters that belong to no adapter and to none of <paramref name="modulesToSave"/>: what the
    /// trainer would freeze (and warn about) and what an adapter file would not hold.
    /// </summary>
    public static IReadOnlyList<(string Name, Parameter Parameter)> Strays(nn.Module tree, IReadOnlyCollection<string> modulesToSave)
    {
        var keep = new HashSet<string>(modulesToSave, StringComparer.Ordinal);
        var adapterPrefixes = AdapterPrefixes(tree);
        return tree.named_parameters()
            .Where(p => p.parameter.requires_grad && !IsLora(tree, p.name, adapterPrefixes) && !IsUnder(p.name, keep))
            .Select(p => (p.name, p.parameter))
            .ToList();
    }

    /// <summary>The layers (module paths) that hold <paramref name="parameters"/>, for messages: <c>'head', 'norm'</c>.</summary>
    public static string Layers(IEnumerable<(string Name, Parameter Parameter)> parameters) =>
        string.Join(", ", parameters.Select(p => p.Name.LastIndexOf('.') is var dot and > 0 ? p.Name[..dot] : p.Name)
            .Distinct(StringComparer.Ordinal).Select(layer => $"'{layer}'"));

    internal static List<string> AdapterPrefixes(nn.Module tree) =>
        tree.named_modules().Where(m => m.module is LoraAdapter).Select(m => m.name + ".").ToList();

    internal static bool IsLora(nn.Module tree, string parameterName, List<string> adapterPrefixes) =>
        tree is LoraAdapter || adapterPrefixes.Any(prefix => parameterName.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Whether the parameter lies under a listed module: its dotted path, or any single name part (e.g. <c>head</c>).</summary>
    internal static bool IsUnder(string parameterName, HashSet<string> modules)
    {
        if (modules.Count == 0) return false;
        var parts = parameterName.Split('.');
        for (int i = 1; i < parts.Length; i++)
        {
            if (modules.Contains(string.Join('.', parts[..i])) || modules.Contains(parts[i - 1])) return true;
        }
        return false;
    }
}
