using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Several named adapters on one base model, with PEFT's semantics: the adapter a model is built with is
/// <c>default</c>; others are added (<see cref="AddAdapter"/>, <c>LoadAdapter(dir, name)</c>,
/// <c>AddWeightedAdapter</c>), one is active at a time and only it trains; a mixed batch gives each row its own
/// adapter (<see cref="UseAdapterPerRow"/>). Every adapted layer holds every adapter, so a name means the same on
/// every layer. Switching, adding and deleting refuse while an adapter is merged (the shared base weight then
/// holds it); unmerge first. Every change but DisableLoRA and to() also refuses during a per-row scope.
/// </summary>
public static class MultiAdapterExtensions
{
    /// <summary>The names of the model's adapters, <c>default</c> first.</summary>
    public static IReadOnlyList<string> AdapterNames(this nn.Module model) =>
        FirstHost(model).AllLayerAdapters.Select(a => a.AdapterName).ToList();

    /// <summary>The name of the adapter forward passes use and training updates (PEFT's <c>active_adapter</c>).</summary>
    public static string ActiveAdapter(this nn.Module model) => FirstHost(model).Active.AdapterName;

    /// <summary>
    /// Adds an adapter named <paramref name="name"/> with <paramref name="options"/> on every adapted layer
    /// (A as its init says, B = 0, so it starts as the base model). It does not become active (PEFT's
    /// <c>add_adapter</c>); <see cref="SetActiveAdapter"/> it to train it.
    /// </summary>
    public static void AddAdapter(this nn.Module model, string name, LoraOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Init == LoraInit.PiSSA)
            throw new NotSupportedException($"Adapter '{name}': PiSSA rewrites the base weight that every adapter of the model shares; add it with Kaiming or Gaussian init.");
        var hosts = HostsForChange(model, $"add adapter '{name}'");
        RequireNewName(hosts, name);
        foreach (var (_, host) in hosts) host.NamedSet.Add(name, LoraAdapter.Create(host.TargetName, host.Target, options));
    }

    /// <summary>Makes <paramref name="name"/> the active adapter: forward passes use it and only its factors stay trainable.</summary>
    public static void SetActiveAdapter(this nn.Module model, string name)
    {
        var hosts = HostsForChange(model, $"switch to adapter '{name}'");
        RequireExisting(hosts, name);
        foreach (var (_, host) in hosts) host.NamedSet.Activate(name);
    }

    /// <summary>Makes <paramref name="name"/> active until the returned object is disposed, then restores the previous one.</summary>
    public static IDisposable UseAdapter(this nn.Module model, string name)
    {
        string previous = model.ActiveAdapter();
        model.SetActiveAdapter(name);
        return new Scope(() =>
        {
            if (model.AdapterNames().Contains(previous)) model.SetActiveAdapter(previous);
        });
    }

    /// <summary>Removes a named adapter and frees its tensors. The default adapter and the active one cannot be deleted.</summary>
    public static void DeleteAdapter(this nn.Module model, string name)
    {
        var hosts = HostsForChange(model, $"delete adapter '{name}'");
        RequireExisting(hosts, name);
        if (name == LoraAdapter.DefaultName)
            throw new InvalidOperationException("The default adapter is part of the model's construction and cannot be deleted; delete the other named adapters.");
        if (hosts[0].Host.Active.AdapterName == name)
            throw new InvalidOperationException($"Adapter '{name}' is active; SetActiveAdapter another one before deleting it.");
        foreach (var (_, host) in hosts) host.NamedSet.Remove(name);
    }

    /// <summary>
    /// Until disposed, row i of every batch goes through adapter <paramref name="adapterIds"/>[i]
    /// (<c>__base__</c>: no adapter), PEFT's <c>adapter_names</c>; the batch must be the first dimension of each
    /// adapted layer's input. Refused while an adapter is merged; merging, loading, switching, adding, deleting and
    /// quantizing are refused until it is disposed. Not for concurrent forwards on one model.
    /// </summary>
    public static IDisposable UseAdapterPerRow(this nn.Module model, IReadOnlyList<string> adapterIds)
    {
        ArgumentNullException.ThrowIfNull(adapterIds);
        var hosts = HostsForChange(model, "run a mixed batch");
        if (adapterIds.Count == 0) throw new ArgumentException("A mixed batch needs one adapter name per row.", nameof(adapterIds));
        var plan = new MixedBatchPlan(adapterIds);
        foreach (var name in plan.AdapterNames.Where(n => n != MixedBatchPlan.BaseName)) RequireExisting(hosts, name);
        foreach (var name in plan.AdapterNames.Where(n => n != MixedBatchPlan.BaseName))
            foreach (var (_, host) in hosts) host.EnsurePerRowCapable(name);
        foreach (var (_, host) in hosts) host.NamedSet.RowPlan = plan;
        return new Scope(() =>
        {
            foreach (var (_, host) in hosts) host.NamedSet.RowPlan = null;
            plan.Dispose();
        });
    }

    internal static IReadOnlyList<(string Path, LoraAdapter Host)> HostsForChange(nn.Module model, string action)
    {
        var hosts = model.LoraHosts();
        if (hosts.Count == 0) throw new InvalidOperationException("The model has no LoRA adapters.");
        var merged = hosts.FirstOrDefault(h => h.Host.NamedSet.AnyMerged);
        if (merged.Host is not null)
            throw new InvalidOperationException($"Cannot {action} while an adapter of '{merged.Path}' is merged into the base weight; call UnmergeLoRA() first.");
        foreach (var (_, host) in hosts) host.NamedSet.EnsureNoMixedScope(action);
        return hosts;
    }

    internal static void RequireNewName(IReadOnlyList<(string Path, LoraAdapter Host)> hosts, string name)
    {
        ValidateName(name);
        if (hosts.Any(h => h.Host.FindAdapter(name) is not null))
            throw new InvalidOperationException($"The model already has an adapter named '{name}'.");
    }

    /// <summary>PEFT stores other adapters in subfolders named after them, and TorchSharp registers them as children.</summary>
    internal static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (NameProblem(name) is { } problem)
            throw new ArgumentException($"Adapter name '{name}' is not allowed: {problem}.", nameof(name));
    }

    /// <summary>Why <paramref name="name"/> cannot name an adapter; null when it can.</summary>
    internal static string? NameProblem(string name) =>
        name == MixedBatchPlan.BaseName || name.IndexOfAny(['.', '/', '\\']) >= 0 || name.Any(char.IsWhiteSpace)
            ? $"it names a subfolder and a module, so no '.', '/', '\\', spaces or '{MixedBatchPlan.BaseName}'"
            : null;

    private static void RequireExisting(IReadOnlyList<(string Path, LoraAdapter Host)> hosts, string name)
    {
        if (hosts.Any(h => h.Host.FindAdapter(name) is null))
            throw new InvalidOperationException($"The model has no adapter named '{name}' (it has: {string.Join(", ", hosts[0].Host.AllLayerAdapters.Select(a => a.AdapterName))}).");
    }

    private static LoraAdapter FirstHost(nn.Module model) =>
        model.LoraHosts() is { Count: > 0 } hosts ? hosts[0].Host : throw new InvalidOperationException("The model has no LoRA adapters.");

    private sealed class Scope(Action restore) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            restore();
        }
    }
}
