using System.Text.RegularExpressions;

namespace LoraSdk;

/// <summary>
/// Staging folders are ours only while a save holds their lock file (<c>.&lt;name&gt;.saving-&lt;guid&gt;.lock</c>,
/// open with no sharing). A save killed mid-write leaves the folder and an unlocked lock file behind; the next
/// save of the same target removes them. A folder whose lock is held belongs to a save still running, and one
/// without a lock file (an older LoraSdk) is removed only when it is an hour old.
/// </summary>
internal static partial class StagingSweep
{
    private static readonly TimeSpan LocklessAge = TimeSpan.FromHours(1);

    public static string LockPath(string staging) => staging + ".lock";

    /// <summary>Holds the lock of <paramref name="staging"/> until disposed (then deletes the lock file).</summary>
    public static IDisposable Hold(string staging) => new HeldLock(LockPath(staging));

    /// <summary>Deletes the abandoned staging folders (and their lock files) of <paramref name="target"/>.</summary>
    public static void Sweep(string target)
    {
        string parent = Path.GetDirectoryName(target)!, name = Path.GetFileName(target);
        if (!Directory.Exists(parent)) return;
        var pattern = new Regex($"^\\.{Regex.Escape(name)}\\.saving-[0-9a-f]{{32}}$", RegexOptions.CultureInvariant);
        foreach (string folder in Directory.EnumerateDirectories(parent, $".{name}.saving-*"))
        {
            if (!pattern.IsMatch(Path.GetFileName(folder))) continue;
            string lockPath = LockPath(folder);
            if (File.Exists(lockPath))
            {
                using var held = TryTake(lockPath);
                if (held is null) continue; // a save in progress
                Delete(folder);
                TryDeleteFile(lockPath);
            }
            else if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(folder) > LocklessAge)
            {
                Delete(folder);
            }
        }
    }

    private static FileStream? TryTake(string lockPath)
    {
        try
        {
            return new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover never touches the adapter itself; the next save tries again.
        }
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private sealed class HeldLock(string path) : IDisposable
    {
        private readonly FileStream _stream = new(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None);

        public void Dispose()
        {
            _stream.Dispose();
            TryDeleteFile(path);
        }
    }
}
