using System.Security.Cryptography;
using System.Text.Json;

namespace LoraSdk.Training;

/// <summary>
/// <c>manifest.json</c> of a checkpoint: the size and SHA-256 of every file, written last. A checkpoint is only
/// used when every file is there, whole and unchanged, so a truncated <c>rng.bin</c> or <c>optimizer.bin</c>
/// (which libtorch or TorchSharp would abort or throw on) or an edited <c>trainer_state.json</c> is caught
/// before anything is loaded.
/// </summary>
internal static class CheckpointManifest
{
    public const string FileName = "manifest.json";

    private sealed record Entry(long Size, string Sha256);

    private sealed record Manifest(int Format, Dictionary<string, Entry> Files);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Lists every file under <paramref name="directory"/> (paths relative, with '/').</summary>
    public static void Write(string directory)
    {
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Select(path => (Name: Relative(directory, path), Path: path))
            .Where(f => f.Name != FileName)
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToDictionary(f => f.Name, f => new Entry(new FileInfo(f.Path).Length, Hash(f.Path)), StringComparer.Ordinal);
        File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(new Manifest(1, files), Json));
    }

    /// <summary>The first file that is missing, cut short, grown or changed, with what is wrong; null when all is intact.</summary>
    public static (string File, string Problem)? Verify(string directory, IEnumerable<string> required)
    {
        string manifestPath = Path.Combine(directory, FileName);
        if (!File.Exists(manifestPath))
            return (manifestPath, "missing: the checkpoint is incomplete or was written by an older LoraSdk");
        Manifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllBytes(manifestPath), Json);
        }
        catch (JsonException e)
        {
            return (manifestPath, $"unreadable ({Data.JsonErrorText.WithoutPosition(e.Message)})");
        }
        if (manifest?.Files is null) return (manifestPath, "unreadable (no file list)");

        foreach (var name in required.Where(r => !manifest.Files.ContainsKey(r)))
            return (Path.Combine(directory, name), "not listed in manifest.json: the checkpoint is incomplete");
        foreach (var (name, entry) in manifest.Files)
        {
            string path = Path.Combine(directory, name);
            if (!File.Exists(path)) return (path, "missing");
            long size = new FileInfo(path).Length;
            if (size != entry.Size)
                return (path, $"{size} bytes, but {entry.Size} were written: {(size < entry.Size ? "cut short or edited" : "appended to or edited")}");
            if (!string.Equals(Hash(path), entry.Sha256, StringComparison.Ordinal))
                return (path, "changed after it was written (its SHA-256 differs from manifest.json)");
        }
        return null;
    }

    private static string Relative(string directory, string path) => Path.GetRelativePath(directory, path).Replace('\\', '/');

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
