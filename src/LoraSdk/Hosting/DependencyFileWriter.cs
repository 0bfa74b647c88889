using LoraSdk.Files;
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
    /// <summary>The hosted trainer's inputs, from its options.</summary>
    /// <param name="configuration">The host's configuration (its JSON files are inputs; it names the dependency file).</param>
    /// <param name="options">The bound <c>LoRA</c> section.</param>
    /// <param name="contentRoot">What relative paths are relative to.</param>
    /// <param name="extraInputs">What the run read besides the section's files (a task's model folder).</param>
    public static void WriteIfRequested(IConfiguration configuration, LoraFineTuningOptions options, string contentRoot, IEnumerable<string>? extraInputs = null) =>
        WriteIfRequested(configuration, contentRoot, Inputs(options).Concat(extraInputs ?? []), Written(options, contentRoot));

    /// <summary>Writes the file (atomically: a reader never sees half of it) when the configuration names one.</summary>
    public static void WriteIfRequested(IConfiguration configuration, string contentRoot, IEnumerable<string?> inputs, IReadOnlyList<string> exclude)
    {
        if (configuration[FineTuneContract.DependencyFileKey] is not { Length: > 0 } requested) return;
        string path = Path.GetFullPath(requested, contentRoot);
        AtomicFile.WriteAllText(path, FineTuneContract.DependencyFile.Format(FilesRead(configuration, contentRoot, inputs, exclude)));
    }

    /// <summary>The existing files the hosted trainer read, absolute, sorted, each once.</summary>
    public static IReadOnlyList<string> FilesRead(IConfiguration configuration, LoraFineTuningOptions options, string contentRoot) =>
        FilesRead(configuration, contentRoot, Inputs(options), Written(options, contentRoot));

    private static IEnumerable<string?> Inputs(LoraFineTuningOptions options) =>
        [options.Dataset, options.ValidationDataset, options.Tokenizer == TokenizerKind.WordPiece ? options.VocabularyFile : null, options.BaseModel];

    private static IReadOnlyList<string> Written(LoraFineTuningOptions options, string contentRoot) =>
        [Path.GetFullPath(options.Output, contentRoot), Path.GetFullPath(options.ResolvedCheckpointDirectory, contentRoot)];

    /// <summary>
    /// The configuration's JSON files and each of <paramref name="inputs"/> that exists: a file, or a folder entry
    /// (never the content root or one above it, whose files include what the build and training write);
    /// nothing under <paramref name="exclude"/>. Absolute, sorted, each once.
    /// </summary>
    private static IReadOnlyList<string> FilesRead(IConfiguration configuration, string contentRoot, IEnumerable<string?> inputs, IReadOnlyList<string> exclude)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        if (configuration is IConfigurationRoot root)
        {
            foreach (var file in root.Providers.OfType<FileConfigurationProvider>())
            {
                if (file.Source.Path is { } source && file.Source.FileProvider?.GetFileInfo(source).PhysicalPath is { } physical)
                    Add(physical);
            }
        }
        foreach (string? input in inputs)
        {
            if (string.IsNullOrWhiteSpace(input)) continue;
            string path = Path.GetFullPath(input, contentRoot);
            if (File.Exists(path)) Add(path);
            else if (Directory.Exists(path) && !IsUnder(contentRoot, path) && !exclude.Any(folder => IsUnder(path, folder)))
                files.Add(FineTuneContract.FolderEntry(path)); // the build takes its files as they are then, added ones too
        }
        return files.ToList();

        void Add(string file)
        {
            if (File.Exists(file) && !exclude.Any(folder => IsUnder(file, folder))) files.Add(file);
        }
    }

    private static bool IsUnder(string path, string folder)
    {
        string trimmed = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return full == trimmed || full.StartsWith(trimmed + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}
