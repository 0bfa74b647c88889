namespace LoraSdk;

/// <summary>
/// The named-adapter subfolders a save wrote, listed in a hidden file at the folder's root (one name a line), so the
/// next save over the folder can tell them from a subfolder the user put there: a named adapter that the model no
/// longer has is removed, while a user's backup (<c>backup-v1/</c> holding adapter files) is kept. PEFT and
/// LoraSdk's loader pass hidden files over.
/// </summary>
internal static class SavedSubfolders
{
    public const string FileName = ".lorasdk-saved-subfolders";

    /// <summary>Records <paramref name="names"/> in <paramref name="folder"/>; nothing when there are none.</summary>
    public static void Write(string folder, IReadOnlyCollection<string> names)
    {
        if (names.Count == 0) return;
        File.WriteAllLines(Path.Combine(folder, FileName), names);
    }

    /// <summary>The subfolders a LoraSdk save recorded in <paramref name="folder"/> (none when it recorded none, or the list cannot be read).</summary>
    public static HashSet<string> Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // unknown: every subfolder counts as the user's, so none is deleted
        }
    }

    /// <summary>Whether <paramref name="folder"/> holds either adapter file (a named adapter, or a copy of one).</summary>
    public static bool HoldsAdapterFiles(string folder) =>
        File.Exists(Path.Combine(folder, AdapterConfig.FileName)) || File.Exists(Path.Combine(folder, PeftKeys.TensorFileName));
}
