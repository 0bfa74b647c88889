namespace LoraSdk.Hosting;

/// <summary>Where and how an <see cref="ILoraAdapterExporter"/> writes: the saved adapter folder, the run's options, and a safe file writer.</summary>
public sealed class LoraAdapterExportContext
{
    private readonly IReadOnlyList<string> _allowed;

    internal LoraAdapterExportContext(string adapterDirectory, LoraFineTuningOptions options, IReadOnlyList<string> allowed)
    {
        AdapterDirectory = adapterDirectory;
        Options = options;
        _allowed = allowed;
    }

    /// <summary>The full path of the PEFT adapter folder the service has just written.</summary>
    public string AdapterDirectory { get; }

    /// <summary>The run's options (<see cref="LoraFineTuningOptions.BaseModel"/>, <see cref="LoraFineTuningOptions.GgufBaseType"/>, …).</summary>
    public LoraFineTuningOptions Options { get; }

    /// <summary>
    /// Writes <paramref name="fileName"/> (one of the exporter's <see cref="ILoraAdapterExporter.FileNames"/>) in the
    /// adapter folder: <paramref name="write"/> gets a temporary path beside it, which is renamed over the file once
    /// <paramref name="write"/> returns. When it throws or writes nothing, the temporary file is deleted and a
    /// <see cref="LoraAdapterExportException"/> names the file. Returns the file's full path.
    /// </summary>
    public string WriteFile(string fileName, Action<string> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(write);
        if (!_allowed.Contains(fileName, StringComparer.Ordinal))
            throw new ArgumentException($"'{fileName}' is not among the exporter's FileNames ({string.Join(", ", _allowed)}); declare every file it writes.", nameof(fileName));
        string target = Path.Combine(AdapterDirectory, fileName);
        string staging = Path.Combine(AdapterDirectory, $".{fileName}.tmp-{Guid.NewGuid():N}");
        try
        {
            write(staging);
            if (!File.Exists(staging)) throw new InvalidOperationException("the exporter wrote nothing.");
            File.Move(staging, target, overwrite: true);
            return target;
        }
        catch (Exception e)
        {
            try
            {
                File.Delete(staging);
            }
            catch (IOException)
            {
                // Best effort: a hidden leftover never replaces the real file.
            }
            throw new LoraAdapterExportException(target, e);
        }
    }
}
