using System;
using System.Collections.Generic;
using System.IO;
using LoraSdk.Build.Native;
using LoraSdk.Shared;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace LoraSdk.Build.Tasks
{
    /// <summary>
    /// Makes TorchSharp's native library load on Linux distributions whose libstdc++ is older than the one
    /// it was linked against (Debian 12, Ubuntu 22.04): when the machine's libstdc++ lacks
    /// <see cref="Version"/>, the requirement is marked weak in the copies in the output folder. The
    /// library never calls the one symbol that carries that version. Idempotent; silent when not needed.
    /// </summary>
    public sealed class PatchNativeLibraryVersions : Task
    {
        /// <summary>The copies to patch (only files in the output folder, never the NuGet cache).</summary>
        [Required]
        public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>The symbol version to relax.</summary>
        public string Version { get; set; } = "GLIBCXX_3.4.32";

        /// <summary>The soname whose definitions decide whether patching is needed.</summary>
        public string SystemLibrary { get; set; } = "libstdc++.so.6";

        /// <summary>Overrides the lookup of <see cref="SystemLibrary"/> (tests, unusual layouts).</summary>
        public string? SystemLibraryPath { get; set; }

        [Output]
        public ITaskItem[] PatchedFiles { get; private set; } = Array.Empty<ITaskItem>();

        public override bool Execute()
        {
            if (Files.Length == 0) return true;
            string? library = string.IsNullOrEmpty(SystemLibraryPath) ? SystemLibraryLocator.Find(SystemLibrary) : SystemLibraryPath;
            if (library != null && SafeDefines(library))
            {
                Log.LogMessage(MessageImportance.Low, $"{library} defines {Version}; native libraries need no patch.");
                return true;
            }

            var patched = new List<ITaskItem>();
            foreach (var file in Files)
            {
                string path = file.GetMetadata("FullPath");
                try
                {
                    if (ElfVersionPatcher.MarkVersionWeak(path, Version) == PatchOutcome.Patched)
                    {
                        patched.Add(file);
                        Log.LogMessage(MessageImportance.Low, $"Marked the {Version} requirement of {path} weak (this machine's libstdc++ lacks it).");
                    }
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ElfFormatException)
                {
                    Log.LogWarning(null, FineTuneContract.BuildCodes.NativePatchFailed, null, path, 0, 0, 0, 0,
                        $"Could not patch {path} for this machine's older libstdc++ ({e.Message}); TorchSharp may fail to load.");
                }
            }
            PatchedFiles = patched.ToArray();
            return !Log.HasLoggedErrors;
        }

        private bool SafeDefines(string library)
        {
            try
            {
                return ElfVersionPatcher.DefinesVersion(library, Version);
            }
            catch (Exception e) when (e is IOException || e is ElfFormatException || e is UnauthorizedAccessException)
            {
                Log.LogMessage(MessageImportance.Low, $"Could not read {library}: {e.Message}");
                return false;
            }
        }
    }
}
