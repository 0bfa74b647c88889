using System;
using System.Collections;
using System.Collections.Generic;
using LoraSdk.Shared;
using Microsoft.Build.Framework;

namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// What a <c>&lt;LoraFineTune Include="name" ... /&gt;</c> item means. Its custom metadata are overrides
    /// of the program's <c>LoRA</c> configuration section (<c>Rank="8"</c> becomes <c>--LoRA:Rank=8</c>),
    /// except the few that only the build reads.
    /// </summary>
    internal static class FineTuneItem
    {
        /// <summary>The configuration file the program reads (metadata name, and its default).</summary>
        public const string ConfigMetadata = "Config";
        public const string DefaultConfig = "appsettings.json";

        /// <summary>Extra files whose change should retrain (e.g. base weights the model factory reads on its own).</summary>
        public const string ExtraInputsMetadata = "ExtraInputs";

        /// <summary>Metadata that the targets add; never user options.</summary>
        public const string InternalPrefix = "LoraSdk";

        /// <summary>The user's option overrides, in a stable order (metadata names as written).</summary>
        public static IReadOnlyList<KeyValuePair<string, string>> OptionOverrides(ITaskItem item)
        {
            var options = new List<KeyValuePair<string, string>>();
            foreach (DictionaryEntry entry in item.CloneCustomMetadata())
            {
                string key = (string)entry.Key;
                if (IsBuildOnly(key)) continue;
                options.Add(new KeyValuePair<string, string>(key, (string)(entry.Value ?? "")));
            }
            options.Sort((a, b) => StringComparer.OrdinalIgnoreCase.Compare(a.Key, b.Key));
            return options;
        }

        /// <summary>
        /// What the user wrote on the item that changes what training does: its options, <c>Config</c> and
        /// <c>ExtraInputs</c>, one <c>key=value</c> a line in a stable order (<see cref="FineTuneStamp"/>).
        /// </summary>
        public static string Describe(ITaskItem item)
        {
            var lines = new List<string>();
            foreach (DictionaryEntry entry in item.CloneCustomMetadata())
            {
                string key = (string)entry.Key;
                if (IsAddedByTheBuild(key)) continue;
                lines.Add(key + "=" + (string)(entry.Value ?? ""));
            }
            lines.Sort(StringComparer.OrdinalIgnoreCase);
            return string.Join("\n", lines) + "\n";
        }

        /// <summary>A file the build keeps about item <paramref name="name"/> in obj/lora/ (about the adapter, so shared by configurations).</summary>
        public static string StateFile(string intermediateDirectory, string name, string extension) =>
            System.IO.Path.Combine(intermediateDirectory, "lora", name + extension);

        public static bool IsOutputOption(string key) => key.Equals(FineTuneContract.OutputOption, StringComparison.OrdinalIgnoreCase);

        /// <summary>Added by MSBuild when an item is copied (e.g. by a task's output); never a user option.</summary>
        private const string OriginalItemSpecMetadata = "OriginalItemSpec";

        private static bool IsBuildOnly(string key) =>
            IsAddedByTheBuild(key)
            || key.Equals(ConfigMetadata, StringComparison.OrdinalIgnoreCase)
            || key.Equals(ExtraInputsMetadata, StringComparison.OrdinalIgnoreCase);

        private static bool IsAddedByTheBuild(string key) =>
            key.Equals(OriginalItemSpecMetadata, StringComparison.OrdinalIgnoreCase)
            || key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
            || key.StartsWith(InternalPrefix, StringComparison.OrdinalIgnoreCase);
    }
}
