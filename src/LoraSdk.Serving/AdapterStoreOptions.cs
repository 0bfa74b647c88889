namespace LoraSdk.Serving;

/// <summary>Where the store finds adapters and how many it keeps in memory (docs/serving.md, "Sizing the store").</summary>
public sealed class AdapterStoreOptions
{
    /// <summary>The folder of adapter folders: <c>Root/&lt;name&gt;/adapter_config.json + adapter_model.safetensors</c>.</summary>
    public string Root { get; set; } = "";

    /// <summary>At most this many adapters in memory (least recently used ones are unloaded first).</summary>
    public int MaxAdapters { get; set; } = 64;

    /// <summary>At most this many bytes of adapter tensors in memory (their safetensors file sizes).</summary>
    public long MaxBytes { get; set; } = long.MaxValue;

    /// <summary>Adapters that are never unloaded once loaded.</summary>
    public ISet<string> Pinned { get; set; } = new HashSet<string>(StringComparer.Ordinal);

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Root)) throw new ArgumentException("AdapterStoreOptions.Root: the adapter folder is not set.", nameof(Root));
        if (!Directory.Exists(Root)) throw new DirectoryNotFoundException($"AdapterStoreOptions.Root: the adapter folder '{Root}' does not exist.");
        if (MaxAdapters < 1) throw new ArgumentOutOfRangeException(nameof(MaxAdapters), MaxAdapters, "AdapterStoreOptions.MaxAdapters must be at least 1.");
        if (MaxBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes, "AdapterStoreOptions.MaxBytes must be positive.");
    }
}
