using LoraSdk.Shared;
using Microsoft.Extensions.Configuration;

namespace LoraSdk.Hosting;

/// <summary>
/// Writes the files a successful run read, when the build asks for them with
/// <c>--LoraSdkBuild:DependencyFile=&lt;path&gt;</c> (as protoc's <c>--dependency_out</c>): the JSON configuration
/// files the host loaded, the data sets, the vocabulary and the base model (a file, or every file in a folder).
/// The build's next up-to-date check compares exactly these with the adapter, instead of guessing from the
/// configuration which strings are paths. What the model factory reads on its own is the item's <c>ExtraInputs</c>.
/// </summary>
internal static class DependencyFileWriter
{
    /// <summary>Writes the file (atomically: a reader never sees half of it) when the configuration names one.</summary>
    public static void WriteIfRequested(IConfiguration configuration, LoraFineTuningOptions options, string contentRoot)
    {
        if (configuration[FineTuneContract.DependencyFileKey] is not { Length: > 0 } requested) return;
        string path = Path.GetFullPath(requested, contentRoot);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string staging = $"{path}.tmp-{Guid.NewGuid():N}";
        File.WriteAllText(staging, FineTuneContract.DependencyFile.Format(FilesRead(configuration, options, contentRoot)));
        File.Move(staging, path, overwrite: true);
    }

    /// <summary>The existing files the run read, absolute, sorted, each once.</summary>
    public static IReadOnlyList<string> FilesRead(IConfiguration configuration, LoraFineTuningOptions options, string contentRoot)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        if (configuration is IConfigurationRoot root)
        {
            foreach (var file in root.Providers.OfType<FileConfigurationProvider>())
            {
                if (file.Source.Path is { } source && file.Source.FileProvider?.GetFileInfo(source).PhysicalPath is { } physical)
                    AddFile(physical);
            }
        }
        foreach (string? data in new[] { options.Dataset, options.ValidationDataset })
            if (!string.IsNullOrWhiteSpace(data)) AddFile(Path.GetFullPath(data, contentRoot));
        if (options.Tokenizer == TokenizerKind.WordPiece && !string.IsNullOrWhiteSpace(options.VocabularyFile))
            AddFile(Path.GetFullPath(options.VocabularyFile, contentRoot));
        if (!string.IsNullOrWhiteSpace(options.BaseModel)) AddFileOrFolder(Path.GetFullPath(options.BaseModel, contentRoot));
        return files.ToList();

        void AddFile(string file)
        {
            if (File.Exists(file) && !IsWritten(file)) files.Add(file);
        }

        // A base model that is a folder (weights, vocabulary, config): every file in it. Never the project folder or
        // one above it, whose files include what the build and training write.
        void AddFileOrFolder(string path)
        {
            if (File.Exists(path)) AddFile(path);
            else if (Directory.Exists(path) && !IsUnder(contentRoot, path))
                foreach (string file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)) AddFile(file);
        }

        bool IsWritten(string file) =>
            IsUnder(file, Path.GetFullPath(options.Output, contentRoot)) || IsUnder(file, Path.GetFullPath(options.ResolvedCheckpointDirectory, contentRoot));
    }

    private static bool IsUnder(string path, string folder)
    {
        string trimmed = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return full == trimmed || full.StartsWith(trimmed + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}
