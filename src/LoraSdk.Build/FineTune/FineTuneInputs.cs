using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// Finds the files a fine-tune depends on from its option values: every string value (item metadata
    /// override or <c>LoRA</c> configuration value) that names an existing file or folder in or below the
    /// project counts (dataset, validation set, base weights, tokenizer...), so a new option with a
    /// path needs no change here. What training writes (the output folder, checkpoints) and the project
    /// folder itself never count.
    /// </summary>
    internal sealed class FineTuneInputs
    {
        private readonly string _projectDirectory;
        private readonly string[] _written;
        private readonly SortedSet<string> _files = new SortedSet<string>(StringComparer.Ordinal);

        public FineTuneInputs(string projectDirectory, string outputDirectory)
        {
            _projectDirectory = Normalize(projectDirectory);
            string output = Normalize(outputDirectory);
            _written = new[] { output, output + FineTuneItem.CheckpointSuffix };
        }

        public IReadOnlyCollection<string> Files => _files;

        /// <summary>Adds every string in <paramref name="value"/> (a JSON value or plain string) that names a file or folder.</summary>
        public void AddCandidates(object? value)
        {
            switch (value)
            {
                case string text:
                    AddPath(text);
                    break;
                case Dictionary<string, object?> obj:
                    foreach (var entry in obj)
                    {
                        if (!FineTuneItem.IsOutputOption(entry.Key)) AddCandidates(entry.Value);
                    }
                    break;
                case List<object?> list:
                    foreach (object? element in list) AddCandidates(element);
                    break;
            }
        }

        /// <summary>Adds <paramref name="path"/> (relative to the project) when it exists: a file, or every file below a folder.</summary>
        public void AddPath(string path)
        {
            if (string.IsNullOrWhiteSpace(path) || path.IndexOfAny(Path.GetInvalidPathChars()) >= 0) return;
            string full;
            try
            {
                full = Normalize(Path.Combine(_projectDirectory, path.Trim()));
            }
            catch (Exception e) when (e is ArgumentException || e is NotSupportedException || e is PathTooLongException)
            {
                return;
            }
            if (IsWritten(full)) return;
            if (File.Exists(full))
            {
                _files.Add(full);
            }
            else if (Directory.Exists(full) && !IsUnder(_projectDirectory, full))
            {
                // A folder option (e.g. base weights); never the project or an ancestor of it.
                foreach (string file in Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Where(f => !IsWritten(Normalize(f))))
                    _files.Add(Normalize(file));
            }
        }

        private bool IsWritten(string path) => _written.Any(folder => IsUnder(path, folder));

        internal static string Normalize(string path) => Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);

        /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or inside it.</summary>
        internal static bool IsUnder(string path, string folder)
        {
            var comparison = Path.DirectorySeparatorChar == '\\' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            return path.Equals(folder, comparison) || path.StartsWith(folder + Path.DirectorySeparatorChar, comparison);
        }
    }
}
