namespace LoraSdk.Models;

/// <summary>A weight file could not be imported: unreadable, truncated, or missing/misshaped weights.</summary>
public sealed class WeightImportException : Exception
{
    /// <summary>A problem with <paramref name="source"/>; the message starts with it.</summary>
    public WeightImportException(string source, string message, Exception? inner = null)
        : base($"{source}: {message}", inner)
    {
        Source = source;
    }

    /// <summary>The file (or stream description) being imported.</summary>
    public new string Source { get; }
}
