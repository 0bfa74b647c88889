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
    /// staging path. Files already in the target that the new contents do not replace are carried over, but for the
    /// named-adapter subfolders the previous save recorded (<see cref="SavedSubfolders"/>) and the new one lacks: the
    /// model no longer has those adapters. A subfolder of adapter files that LoraSdk did not write is kept, and said so
    /// through <paramref name="warn"/>; new contents that would replace one are refused. <paramref name="exchange"/>
    /// replaces the OS folder exchange (tests use it to force the two-rename path).
    /// </summary>
    public static void Write(string directory, Action<string> writeContents, Func<string, string, bool>? exchange = null, Action<string>? warn = null)
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
        List<string> foreign;
        try
        {
            writeContents(staging);
            foreign = ForeignAdapterFolders(target);
            if (foreign.FirstOrDefault(f => Directory.Exists(Path.Combine(staging, Path.GetFileName(f)))) is { } replaced)
                throw new IOException($"Cannot save into {target}: {replaced} holds adapter files that LoraSdk did not write, and this save would replace it " +
                    $"with its adapter '{Path.GetFileName(replaced)}'. Move that folder out of {target}, or save elsewhere.");
            Swap(staging, target, exchange ?? DirectoryExchange.TryExchange);
        }
        catch
        {
            DeleteQuietly(staging);
            throw;
        }
        foreach (string kept in foreign)
            (warn ?? Console.Error.WriteLine)($"{kept}: warning: kept: it holds adapter files, but LoraSdk did not write it, so saving over {target} leaves it there; " +
                $"LoadAdapter({target}) reads it as a named adapter if its name is one. Move it out if it is a backup.");
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

    /// <summary>The subfolders of <paramref name="target"/> holding adapter files that no LoraSdk save recorded writing.</summary>
    private static List<string> ForeignAdapterFolders(string target)
    {
        if (!Directory.Exists(target)) return [];
        var saved = SavedSubfolders.Read(target);
        return Directory.EnumerateDirectories(target)
            .Where(d => !Path.GetFileName(d).StartsWith('.') && !saved.Contains(Path.GetFileName(d)) && SavedSubfolders.HoldsAdapterFiles(d))
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Moves the entries of the old folder that the new one lacks (e.g. a loss plot, a user's folder) into the new one.</summary>
    private static void CarryOver(string retired, string target)
    {
        var saved = SavedSubfolders.Read(retired);
        foreach (string entry in Directory.EnumerateFileSystemEntries(retired))
        {
            string destination = Path.Combine(target, Path.GetFileName(entry));
            if (File.Exists(destination) || Directory.Exists(destination)) continue;
            // The old save's record, and the named adapters it wrote that the new save lacks: adapters the model no longer has.
            if (Path.GetFileName(entry) == SavedSubfolders.FileName || saved.Contains(Path.GetFileName(entry))) continue;
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
