namespace LoraSdk;

/// <summary>
/// The adapters of one layer (PEFT's multi-adapter model) and which of them forward passes use. The adapter that the
/// model's construction attached and the router knows is the layer's <see cref="Host"/>, PEFT's adapter <c>default</c>;
/// each further named adapter is a complete <see cref="LoraAdapter"/> of the same target, registered under the host (so
/// <c>to()</c>, <c>train()</c> and <c>parameters()</c> reach it), and every one of them refers to this one set. While a
/// <c>UseAdapterPerRow</c> scope is in force, <see cref="RowPlan"/> says which of them each row of a batch uses.
/// </summary>
internal sealed class NamedAdapterSet(LoraAdapter host)
{
    private Dictionary<string, LoraAdapter>? _named;
    private LoraAdapter? _active;

    /// <summary>The routed adapter of the layer, <c>default</c>, which holds the named ones.</summary>
    public LoraAdapter Host { get; } = host;

    /// <summary>The adapter forward passes use: the one last activated, else the host.</summary>
    public LoraAdapter Active => _active ?? Host;

    /// <summary>Every adapter of the layer, the default first, then the others in the order they were added.</summary>
    public IReadOnlyList<LoraAdapter> All => _named is { } named ? [Host, .. named.Values] : [Host];

    /// <summary>Whether the layer holds named adapters besides the default.</summary>
    public bool HasNamed => _named is { Count: > 0 };

    /// <summary>The adapter called <paramref name="name"/>, or null.</summary>
    public LoraAdapter? Find(string name) => name == LoraAdapter.DefaultName ? Host : _named?.GetValueOrDefault(name);

    /// <summary>True while any adapter of the layer is folded into the shared base weight.</summary>
    public bool AnyMerged => All.Any(a => a.IsMerged);

    /// <summary>Per-row adapters of a mixed batch while <c>UseAdapterPerRow</c> is in force; the layer math adds each row's update through it.</summary>
    public MixedBatchPlan? RowPlan { get; set; }

    /// <summary>Refuses a change to the layer's adapters or base while a per-row scope is in force: its rows would silently get other adapters than they named.</summary>
    public void EnsureNoMixedScope(string action)
    {
        if (RowPlan is not null)
            throw new InvalidOperationException($"Cannot {action} while a UseAdapterPerRow scope is in force on '{Host.TargetName}': its rows would get other adapters than they named. Dispose the scope first.");
    }

    /// <summary>Registers <paramref name="adapter"/> (a fresh adapter of the same target) under the host as <paramref name="name"/>.</summary>
    public void Add(string name, LoraAdapter adapter)
    {
        if (!ReferenceEquals(adapter.Target, Host.Target))
            throw new ArgumentException($"Adapter '{name}' was built for another layer than '{Host.TargetName}'.", nameof(adapter));
        _named ??= new Dictionary<string, LoraAdapter>(StringComparer.Ordinal);
        if (name == LoraAdapter.DefaultName || _named.ContainsKey(name))
            throw new InvalidOperationException($"Layer '{Host.TargetName}' already has an adapter named '{name}'.");
        adapter.JoinSet(this, name);
        adapter.Enabled = Host.Enabled;
        adapter.train(Host.training); // a model in eval() must not run the new adapter's dropout
        Host.register_module(name, adapter);
        _named.Add(name, adapter);
    }

    /// <summary>Unregisters and disposes the named adapter (never the default, never the active one).</summary>
    public void Remove(string name)
    {
        if (_named is null || !_named.Remove(name, out var adapter)) return;
        Host.register_module(name, null!); // TorchSharp's way to drop a registered child
        adapter.Dispose();
    }

    /// <summary>Makes <paramref name="name"/> the active adapter; only it keeps trainable factors (as PEFT's set_adapter).</summary>
    public void Activate(string name)
    {
        var target = Find(name) ?? throw new InvalidOperationException($"Layer '{Host.TargetName}' has no adapter named '{name}'.");
        _active = ReferenceEquals(target, Host) ? null : target;
        foreach (var adapter in All)
        {
            bool trainable = ReferenceEquals(adapter, target);
            foreach (var (_, parameter) in adapter.ParameterNames) parameter.requires_grad = trainable;
        }
    }
}
