namespace LoraSdk.Serving;

/// <summary>
/// What identifies one version of an adapter folder on disk: both files' sizes and write times. A folder replaced by
/// a rename, or a file rewritten, gets a new stamp; the store reloads it.
/// </summary>
internal readonly record struct AdapterFolderStamp(long ConfigTicks, long ConfigLength, long WeightsTicks, long WeightsLength)
{
    /// <summary>The stamp of <paramref name="folder"/>, or null when it lacks either adapter file.</summary>
    public static AdapterFolderStamp? Read(string folder)
    {
        var config = new FileInfo(Path.Combine(folder, AdapterConfig.FileName));
        var weights = new FileInfo(Path.Combine(folder, AdapterModelExtensions.WeightsFileName));
        if (!config.Exists || !weights.Exists) return null;
        return new AdapterFolderStamp(config.LastWriteTimeUtc.Ticks, config.Length, weights.LastWriteTimeUtc.Ticks, weights.Length);
    }
}
