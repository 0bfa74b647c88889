namespace LoraSdk.Hosting;

/// <summary>
/// Checks, at start-up, every place a run will write: the adapter folder, the loss curve beside it and the
/// checkpoint folder. A run that can only fail at its end (an <c>Output</c> that is a file, a folder it may not
/// write) must fail before its first step, and a folder of the user's must never be filled or moved aside.
/// </summary>
internal static class OutputLocations
{
    /// <summary>Each problem as (option name, value, what is wrong).</summary>
    public static IEnumerable<(string Key, string Value, string Problem)> Problems(LoraFineTuningOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Output)) yield break;
        string output = Path.TrimEndingDirectorySeparator(Path.GetFullPath(o.Output));
        if (FolderProblem(output) is { } outputProblem) yield return (nameof(o.Output), o.Output, outputProblem);
        else if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() && !File.Exists(Path.Combine(output, AdapterConfig.FileName)))
            yield return (nameof(o.Output), o.Output, "is a folder that holds other files and no adapter; the adapter would be mixed into it. Choose a new or empty folder.");
        string curve = LoraFineTuningService.LossCurvePath(output);
        if (Directory.Exists(curve)) yield return (nameof(o.Output), o.Output, $"its loss curve {curve} would replace a folder of that name.");

        string checkpoints = Path.TrimEndingDirectorySeparator(Path.GetFullPath(o.ResolvedCheckpointDirectory));
        string key = o.Trainer.CheckpointDirectory is null ? nameof(o.Output) : nameof(o.Trainer.CheckpointDirectory);
        string value = o.Trainer.CheckpointDirectory ?? o.Output;
        if (FolderProblem(checkpoints) is { } checkpointProblem) yield return (key, value, $"checkpoint folder {checkpoints} {checkpointProblem}");
        else if (ForeignEntry(checkpoints) is { } foreign)
            yield return (key, value, $"checkpoint folder {checkpoints} holds {foreign}, which is not a checkpoint; a damaged checkpoint folder is moved aside whole, so it must hold only checkpoints.");
    }

    /// <summary>Why <paramref name="folder"/> cannot be created or written; null when it can.</summary>
    private static string? FolderProblem(string folder)
    {
        if (File.Exists(folder)) return "is a file, not a folder.";
        string? existing = folder;
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing)) return $"cannot be created: {existing} is a file.";
            existing = Path.GetDirectoryName(existing);
        }
        if (existing is null) return "cannot be created: no part of the path exists.";
        // Writes happen in the folder's parent (staging folders beside it), or the nearest folder that exists.
        string probeFolder = Directory.Exists(folder) ? Path.GetDirectoryName(folder) ?? folder : existing;
        try
        {
            using var probe = new FileStream(Path.Combine(probeFolder, $".lora-write-test-{Guid.NewGuid():N}"),
                FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot be written: {probeFolder} is not writable ({e.Message})";
        }
    }

    private static string? ForeignEntry(string checkpoints)
    {
        if (!Directory.Exists(checkpoints)) return null;
        // last/, best/, and what a save killed mid-way leaves: .last.tmp-<guid> (staging), last.old-<guid> (the replaced one).
        static bool Ours(string name) => name.TrimStart('.') is var bare
            && (bare is "last" or "best" || bare.StartsWith("last.", StringComparison.Ordinal) || bare.StartsWith("best.", StringComparison.Ordinal));
        return Directory.EnumerateFileSystemEntries(checkpoints).Select(Path.GetFileName).FirstOrDefault(name => !Ours(name!));
    }
}
