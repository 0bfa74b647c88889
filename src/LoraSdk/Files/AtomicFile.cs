namespace LoraSdk.Files;

/// <summary>
/// The one way the runtime (and <c>LoraSdk.Models</c>) writes a single file that a reader must never see half
/// written: into a hidden, uniquely named sibling (<c>.&lt;name&gt;.tmp-&lt;guid&gt;</c>, so two writers never share
/// one), flushed to disk, then renamed over the target. A failure deletes the sibling and leaves the previous file
/// untouched. Folders have their own: <c>Adapters/AtomicDirectory</c>, <c>Training/Checkpoint</c>.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes what <paramref name="write"/> puts into the stream to <paramref name="path"/>, replacing any file there.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string staging = Path.Combine(directory, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(staging, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(staging, full, overwrite: true);
        }
        catch
        {
            File.Delete(staging); // never a stray half-file beside the real one
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8, no byte order mark) to <paramref name="path"/>, replacing any file there.</summary>
    public static void WriteAllText(string path, string text) => Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true);
        writer.Write(text);
    });
}
