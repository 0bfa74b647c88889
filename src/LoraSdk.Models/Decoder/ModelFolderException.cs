namespace LoraSdk.Models;

/// <summary>
/// A HuggingFace model folder that LoraSdk cannot load as it is: a missing or unreadable file, a config key with a
/// wrong or unsupported value, a tensor missing, extra or of the wrong shape. The message names the file and the key or
/// tensor; nothing is returned half-loaded.
/// </summary>
public sealed class ModelFolderException : Exception
{
    /// <summary>A problem with <paramref name="key"/> (a config key or tensor name, or null) of <paramref name="file"/>.</summary>
    public ModelFolderException(string file, string? key, string message, Exception? inner = null)
        : base(key is null ? $"{file}: {message}" : $"{file}: '{key}': {message}", inner)
    {
        File = file;
        Key = key;
    }

    /// <summary>The file at fault.</summary>
    public string File { get; }

    /// <summary>The config key or tensor name at fault, or null when the problem is the whole file.</summary>
    public string? Key { get; }
}
