using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace LoraSdk.Build.FineTune
{
    /// <summary>Full paths as the tasks compare them: no trailing separator, case-insensitive only on Windows.</summary>
    internal static class ProjectPaths
    {
        private static StringComparison Comparison => Path.DirectorySeparatorChar == '\\' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

        public static string Normalize(string path) => Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);

        public static bool AreSame(string a, string b) => Normalize(a).Equals(Normalize(b), Comparison);

        /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or inside it.</summary>
        public static bool IsUnder(string path, string folder) =>
            path.Equals(folder, Comparison) || path.StartsWith(folder + Path.DirectorySeparatorChar, Comparison);

        /// <summary>
        /// The files <paramref name="path"/> (relative to <paramref name="projectDirectory"/>) names: itself, or every
        /// file in a folder (never the project folder or one above it); nothing when it does not exist.
        /// </summary>
        public static IEnumerable<string> FilesAt(string projectDirectory, string path)
        {
            string project = Normalize(projectDirectory);
            string full = Normalize(Path.Combine(project, path.Trim()));
            if (File.Exists(full)) return new[] { full };
            if (Directory.Exists(full) && !IsUnder(project, full))
                return Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Select(Normalize);
            return Enumerable.Empty<string>();
        }
    }
}
