using System;
using System.Collections.Generic;
using System.IO;
using LoraSdk.Shared;

namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// Reads the dependency file the program wrote after its last successful run
    /// (<see cref="FineTuneContract.DependencyFile"/>): the files it read, which are the inputs of the next
    /// up-to-date check. The task never guesses them from the configuration.
    /// </summary>
    internal static class TrainerDependencies
    {
        /// <summary>The build's name for an item's dependency file, in obj/lora/ (it describes the adapter, shared by configurations).</summary>
        public static string PathFor(string intermediateDirectory, string name) => FineTuneItem.StateFile(intermediateDirectory, name, ".inputs");

        /// <summary>
        /// The listed files; null with <paramref name="problem"/> when the file is unreadable (cut short, edited,
        /// another format), and null without a problem when it does not exist (no successful run yet).
        /// </summary>
        public static IReadOnlyList<string>? Read(string path, out string? problem)
        {
            problem = null;
            if (!File.Exists(path)) return null;
            try
            {
                var files = FineTuneContract.DependencyFile.Parse(File.ReadAllText(path));
                if (files == null) problem = "it is not a complete list of the files training read";
                return files;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                problem = e.Message;
                return null;
            }
        }
    }
}
