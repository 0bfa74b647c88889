using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Serving;

/// <summary>
/// The adapters of one base model, served from a folder of PEFT adapter folders (each named by its folder). An
/// adapter is loaded on first use and kept while it is among the most recently used (at most
/// <see cref="AdapterStoreOptions.MaxAdapters"/> and <see cref="AdapterStoreOptions.MaxBytes"/>; pinned ones always).
/// Every call checks the folder, so an added, replaced or deleted adapter is picked up; a replaced one is loaded
/// beside the old one under a fresh internal name and swapped in whole, so a request sees the old or the new adapter,
/// never a mix. A folder that fails to load fails only the requests naming it, with the loader's message, until it
/// changes on disk. The model is only changed and run under one lock (<see cref="Use{T}"/>): no forward ever sees
/// another request's adapter or a half-loaded one.
/// </summary>
public sealed class AdapterStore
{
    private readonly nn.Module _model;
    private readonly AdapterStoreOptions _options;
    private readonly ServingMetrics? _metrics;
    private readonly object _sync = new();
    private readonly Dictionary<string, Resident> _resident = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _recency = new(); // most recently used first
    private readonly Dictionary<string, (AdapterFolderStamp Stamp, string Message)> _failed = new(StringComparer.Ordinal);
    private long _bytes;
    private long _slotCounter;

    /// <summary>A store that loads into <paramref name="model"/> (built with its default adapter, which stays active).</summary>
    public AdapterStore(nn.Module model, AdapterStoreOptions options, ServingMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _model = model;
        _options = options;
        _metrics = metrics;
        Root = Path.GetFullPath(options.Root);
    }

    /// <summary>The folder of adapter folders.</summary>
    public string Root { get; }

    /// <summary>The model the store loads adapters into.</summary>
    public nn.Module Model => _model;

    /// <summary>How many adapters are loaded now.</summary>
    public int LoadedCount { get { lock (_sync) return _resident.Count; } }

    /// <summary>The bytes of the loaded adapters (their tensor files' sizes).</summary>
    public long LoadedBytes { get { lock (_sync) return _bytes; } }

    /// <summary>Names of the loaded adapters, most recently used first.</summary>
    public IReadOnlyList<string> LoadedNames() { lock (_sync) return _recency.ToList(); }

    /// <summary>The adapters on disk now: subfolders holding both adapter files, by name.</summary>
    public IReadOnlyList<string> Available() =>
        Directory.EnumerateDirectories(Root)
            .Select(Path.GetFileName)
            .Where(n => n is not null && IsServableName(n) && AdapterFolderStamp.Read(Path.Combine(Root, n)) is not null)
            .Order(StringComparer.Ordinal)
            .ToList()!;

    /// <summary>Whether an adapter folder of that name is on disk now.</summary>
    public bool Exists(string name) => IsServableName(name) && AdapterFolderStamp.Read(Path.Combine(Root, name)) is not null;

    /// <summary>
    /// Under the store's lock: resolves every name (loading, reloading or unloading as the disk says) and calls
    /// <paramref name="run"/> with, per name, the model's internal adapter name to put in a per-row scope or the error
    /// for requests naming it. Adapters in <paramref name="names"/> are not evicted by this call.
    /// </summary>
    public T Use<T>(IReadOnlyList<string> names, Func<IReadOnlyList<AdapterLease>, T> run)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(run);
        lock (_sync)
        {
            var inUse = new HashSet<string>(names, StringComparer.Ordinal);
            var byName = new Dictionary<string, AdapterLease>(StringComparer.Ordinal);
            foreach (var name in inUse) byName[name] = Resolve(name, inUse);
            return run(names.Select(n => byName[n]).ToList());
        }
    }

    private AdapterLease Resolve(string name, HashSet<string> inUse)
    {
        if (!IsServableName(name)) return AdapterLease.Failed(new AdapterNotFoundException(name));
        string folder = Path.Combine(Root, name);
        var stamp = AdapterFolderStamp.Read(folder);
        if (stamp is null)
        {
            Unload(name);
            _failed.Remove(name);
            return AdapterLease.Failed(new AdapterNotFoundException(name));
        }
        if (_resident.TryGetValue(name, out var resident) && resident.Stamp == stamp)
        {
            _metrics?.StoreHit();
            Touch(resident);
            return AdapterLease.Ready(resident.Slot);
        }
        if (_failed.TryGetValue(name, out var failure) && failure.Stamp == stamp)
            return AdapterLease.Failed(new AdapterUnusableException(name, failure.Message));
        _metrics?.StoreMiss();
        return Load(name, folder, stamp.Value, inUse);
    }

    private AdapterLease Load(string name, string folder, AdapterFolderStamp stamp, HashSet<string> inUse)
    {
        string slot = $"served{++_slotCounter}";
        try
        {
            _model.LoadAdapter(folder, slot);
        }
        catch (Exception e) when (e is not OutOfMemoryException) // the loader leaves the model unchanged on any error
        {
            _failed[name] = (stamp, e.Message);
            return AdapterLease.Failed(new AdapterUnusableException(name, e.Message));
        }
        if (AdapterFolderStamp.Read(folder) != stamp)
        {
            // Rewritten while we read it: what we loaded may mix both versions. Drop it; the next request loads the new one.
            _model.DeleteAdapter(slot);
            return AdapterLease.Failed(new AdapterUnusableException(name, "the adapter folder changed while it was being loaded; retry."));
        }
        if (UsesDora(folder))
        {
            // Every batch runs its rows' adapters per row (UseAdapterPerRow), which DoRA cannot do: refuse it here, by name,
            // rather than fail every batch it would share with other adapters.
            _model.DeleteAdapter(slot);
            const string reason = "it is a DoRA adapter (use_dora: true), which a per-row batch cannot serve beside other adapters (its magnitude " +
                "rescales the layer's whole output; PEFT refuses adapter_names with DoRA too). Merge it into the base model and serve that model.";
            _failed[name] = (stamp, reason);
            return AdapterLease.Failed(new AdapterUnusableException(name, reason));
        }
        _failed.Remove(name);
        Unload(name); // the old version, if any: the new one replaces it whole
        var resident = new Resident(name, slot, stamp, stamp.WeightsLength, _recency.AddFirst(name));
        _resident[name] = resident;
        _bytes += resident.Bytes;
        EvictBeyondLimits(inUse);
        return AdapterLease.Ready(slot);
    }

    /// <summary>Whether the folder's config (just read by the loader, unchanged since: the stamp matched) says DoRA.</summary>
    private static bool UsesDora(string folder) => AdapterConfig.Read(Path.Combine(folder, AdapterConfig.FileName)).UseDora;

    private void EvictBeyondLimits(HashSet<string> inUse)
    {
        var node = _recency.Last;
        while (node is not null && (_resident.Count > _options.MaxAdapters || _bytes > _options.MaxBytes))
        {
            var previous = node.Previous;
            if (!inUse.Contains(node.Value) && !_options.Pinned.Contains(node.Value))
            {
                Unload(node.Value);
                _metrics?.StoreEviction();
            }
            node = previous;
        }
    }

    private void Unload(string name)
    {
        if (!_resident.Remove(name, out var resident)) return;
        _recency.Remove(resident.Node);
        _bytes -= resident.Bytes;
        _model.DeleteAdapter(resident.Slot);
    }

    private void Touch(Resident resident)
    {
        _recency.Remove(resident.Node);
        _recency.AddFirst(resident.Node);
    }

    /// <summary>Folder names the store serves: one path segment, and a valid adapter name.</summary>
    internal static bool IsServableName(string name) =>
        !string.IsNullOrWhiteSpace(name) && name.Length <= 200 && name != MixedBatchPlanNames.Base && !name.StartsWith('.')
        && name.IndexOfAny(['.', '/', '\\', ':']) < 0 && !name.Any(char.IsWhiteSpace) && !name.Any(char.IsControl);

    private sealed record Resident(string Name, string Slot, AdapterFolderStamp Stamp, long Bytes, LinkedListNode<string> Node);
}

/// <summary>PEFT's name for "no adapter" in a mixed batch, which no served adapter may take.</summary>
internal static class MixedBatchPlanNames
{
    public const string Base = "__base__";
}

/// <summary>One name's resolution: the model's internal adapter name for the per-row scope, or the error for its requests.</summary>
public sealed class AdapterLease
{
    private AdapterLease(string? slot, ServingRequestException? error) => (Slot, Error) = (slot, error);

    /// <summary>The adapter's name inside the model, for <c>UseAdapterPerRow</c>; null when <see cref="Error"/> is set.</summary>
    public string? Slot { get; }

    /// <summary>Why requests naming this adapter fail (404 unknown, 422 unusable); null when it is ready.</summary>
    public ServingRequestException? Error { get; }

    internal static AdapterLease Ready(string slot) => new(slot, null);

    internal static AdapterLease Failed(ServingRequestException error) => new(null, error);
}
