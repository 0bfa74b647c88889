namespace LoraSdk.Hosting;

/// <summary>An adapter export (<see cref="ILoraAdapterExporter"/>) could not write <see cref="FileName"/>; the PEFT adapter beside it is complete.</summary>
public sealed class LoraAdapterExportException : Exception
{
    /// <summary>The failure writing <paramref name="fileName"/>, caused by <paramref name="inner"/>.</summary>
    public LoraAdapterExportException(string fileName, Exception inner)
        : base($"could not write {fileName}: {inner.Message}", inner)
    {
        FileName = fileName;
    }

    /// <summary>The full path of the file that was not written.</summary>
    public string FileName { get; }
}
