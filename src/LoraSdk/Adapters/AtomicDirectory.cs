namespace LoraSdk;

/// <summary>
/// Replaces a folder's contents all at once: the new files are written into a hidden staging folder beside
/// the target, which then takes the target's place by an atomic exchange (Linux) or two renames. A failure
/// while writing deletes the staging folder and leaves the target as it was, so a reader sees either the
/// old adapter or the new one, never a mix or a partial file.
/// </summary>
internal static class AtomicDirectory
{
    /// <summary>
    /// Writes the folder <paramref name="directory"/> through <paramref name="writeContents"/>, which gets the
    /// staging path. Files already in the target that the new contents do not replace are carried over.
    /// <paramref name="exchange"/> replaces the OS folder exchange (tests use it to force the two-rename path).
    /// </summary>
    public static void Write(string directory, Action<string> writeContents, Func<string, string, bool>? exchange = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (File.Exists(target)) throw new IOException($"Cannot write an adapter to '{target}': it is a file, not a folder.");
        string parent = Path.GetDirectoryName(target)
            ?? throw new ArgumentException($"Cannot write an adapter to the root folder '{target}'.", nameof(directory));
        Directory.CreateDirectory(parent);
        StagingSweep.Sweep(target);

        string staging = SiblingPath(target, "saving");
        using var stagingLock = StagingSweep.Hold(staging); // taken before the folder exists: no sweep can take it for abandoned
        Directory.CreateDirectory(staging);
        try
        {
            writeContents(staging);
            Swap(staging, target, exchange ?? DirectoryExchange.TryExchange);
        }
        catch
        {
            DeleteQuietly(staging);
            throw;
        }
    }

    private static void Swap(string staging, string target, Func<string, string, bool> exchange)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }

        string retired;
        if (exchange(staging, target))
        {
            retired = staging; // now holds the previous adapter
        }
        else
        {
            // Two renames: for an instant the target path is absent, but it never holds a partial adapter.
            retired = SiblingPath(target, "replaced");
            Directory.Move(target, retired);
            try
            {
                Directory.Move(staging, target);
            }
            catch
            {
                Directory.Move(retired, target);
                throw;
            }
        }

        try
        {
            CarryOver(retired, target);
        }
        catch (IOException)
        {
            // The new adapter is in place; keep the old folder so none of the user's files are lost.
            return;
        }
        DeleteQuietly(retired);
    }

    /// <summary>Moves the entries of the old folder that the new one lacks (e.g. a loss plot) into the new one.</summary>
    private static void CarryOver(string retired, string target)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(retired))
        {
            string destination = Path.Combine(target, Path.GetFileName(entry));
            if (File.Exists(destination) || Directory.Exists(destination)) continue;
            // An old named adapter's subfolder that the new save lacks is an adapter the model no longer has.
            if (File.Exists(Path.Combine(entry, AdapterConfig.FileName))) continue;
            if (Directory.Exists(entry)) Directory.Move(entry, destination);
            else File.Move(entry, destination);
        }
    }

    private static string SiblingPath(string target, string purpose) =>
        Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{purpose}-{Guid.NewGuid():N}");

    private static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover hidden folder never replaces or corrupts the adapter itself.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
