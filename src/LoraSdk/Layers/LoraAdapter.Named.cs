using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Several named adapters on one layer (PEFT's multi-adapter model). The adapter that the model's construction
/// attached and the router knows is the layer's <em>host</em>, PEFT's adapter <c>default</c>; each further
/// named adapter is a complete <see cref="LoraAdapter"/> of the same target registered under the host (so
/// <c>to()</c>, <c>train()</c> and <c>parameters()</c> reach it). Routing, model-wide operations and the
/// generated code use <see cref="Active"/>, so every member of an adapter (<c>LoraA</c>, <c>Scaling</c>,
/// <c>IsMerged</c>, <c>Enabled</c>, …) describes the active adapter of its layer.
/// </summary>
public abstract partial class LoraAdapter
{
    /// <summary>PEFT's name for the adapter a model is built (or <c>from_pretrained</c> loaded) with.</summary>
    public const string DefaultName = "default";

    private LoraAdapter? _host;
    private Dictionary<string, LoraAdapter>? _named;
    private LoraAdapter? _active;

    /// <summary>This adapter's name (PEFT's <c>adapter_name</c>): <c>default</c> for the one built with the model.</summary>
    public string AdapterName { get; private set; } = DefaultName;

    /// <summary>The routed adapter of this layer that holds the named ones (itself for the default adapter).</summary>
    public LoraAdapter Host => _host ?? this;

    /// <summary>The adapter of this layer that forward passes use: the host's active one.</summary>
    public LoraAdapter Active => Host._active ?? Host;

    /// <summary>Every adapter of this layer, the default first, then the others in the order they were added.</summary>
    public IReadOnlyList<LoraAdapter> AllLayerAdapters =>
        Host._named is { } named ? [Host, .. named.Values] : [Host];

    /// <summary>The former name of <see cref="AllLayerAdapters"/>.</summary>
    [Obsolete("Renamed AllLayerAdapters: every named adapter of this one layer, unlike the model-wide ActiveLoraAdapters().")]
    public IReadOnlyList<LoraAdapter> LayerAdapters => AllLayerAdapters;

    /// <summary>The layer's adapter called <paramref name="name"/>, or null.</summary>
    public LoraAdapter? FindAdapter(string name) =>
        name == DefaultName ? Host : Host._named?.GetValueOrDefault(name);

    /// <summary>Per-row adapters of a mixed batch while <c>UseAdapterPerRow</c> is in force (set on the host).</summary>
    internal MixedBatchPlan? MixedRows { get; set; }

    /// <summary>Refuses a change to the layer's adapters or base while a per-row scope is in force: its rows would silently get other adapters than they named.</summary>
    internal void EnsureNoMixedScope(string action)
    {
        if (Host.MixedRows is not null)
            throw new InvalidOperationException($"Cannot {action} while a UseAdapterPerRow scope is in force on '{TargetName}': its rows would get other adapters than they named. Dispose the scope first.");
    }

    /// <summary>True while any adapter of this layer is folded into the shared base weight.</summary>
    internal bool AnyMerged => AllLayerAdapters.Any(a => a.IsMerged);

    /// <summary>Registers <paramref name="adapter"/> (a fresh adapter of the same target) under this host as <paramref name="name"/>.</summary>
    internal void AddNamed(string name, LoraAdapter adapter)
    {
        if (_host is not null) throw new InvalidOperationException("Named adapters are added to the layer's host adapter.");
        if (!ReferenceEquals(adapter.Target, Target))
            throw new ArgumentException($"Adapter '{name}' was built for another layer than '{TargetName}'.", nameof(adapter));
        _named ??= new Dictionary<string, LoraAdapter>(StringComparer.Ordinal);
        if (name == DefaultName || _named.ContainsKey(name))
            throw new InvalidOperationException($"Layer '{TargetName}' already has an adapter named '{name}'.");
        adapter._host = this;
        adapter.AdapterName = name;
        adapter.Enabled = Enabled;
        adapter.train(training); // a model in eval() must not run the new adapter's dropout
        register_module(name, adapter);
        _named.Add(name, adapter);
    }

    /// <summary>Unregisters and disposes the named adapter (never the default, never the active one).</summary>
    internal void RemoveNamed(string name)
    {
        if (_named is null || !_named.Remove(name, out var adapter)) return;
        register_module(name, null!); // TorchSharp's way to drop a registered child
        adapter.Dispose();
    }

    /// <summary>Makes <paramref name="name"/> the layer's active adapter; only it keeps trainable factors (as PEFT's set_adapter).</summary>
    internal void Activate(string name)
    {
        var target = FindAdapter(name) ?? throw new InvalidOperationException($"Layer '{TargetName}' has no adapter named '{name}'.");
        _active = ReferenceEquals(target, this) ? null : target;
        foreach (var adapter in AllLayerAdapters)
        {
            bool trainable = ReferenceEquals(adapter, target);
            foreach (var (_, parameter) in adapter.ParameterNames) parameter.requires_grad = trainable;
        }
    }
}
