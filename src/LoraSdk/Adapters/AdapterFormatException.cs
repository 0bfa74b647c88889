namespace LoraSdk;

/// <summary>
/// An adapter folder that cannot be loaded: a malformed file, or tensors and settings that do not fit the
/// model. The message names the file and, where there is one, the offending key; the model is unchanged.
/// </summary>
public sealed class AdapterFormatException : IOException
{
    /// <summary>A problem with <paramref name="filePath"/> (and <paramref name="key"/> in it, if any); the message starts with both.</summary>
    /// <param name="filePath">The file at fault.</param>
    /// <param name="key">The key at fault, or null.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public AdapterFormatException(string filePath, string? key, string message, Exception? innerException = null)
        : base(Compose(filePath, key, message), innerException)
    {
        FilePath = filePath;
        Key = key;
    }

    /// <summary>The file at fault (<c>adapter_config.json</c> or <c>adapter_model.safetensors</c>).</summary>
    public string FilePath { get; }

    /// <summary>The tensor key, config key or target path at fault, if the error concerns one.</summary>
    public string? Key { get; }

    private static string Compose(string filePath, string? key, string message) =>
        key is null ? $"{filePath}: {message}" : $"{filePath}: '{key}': {message}";
}
