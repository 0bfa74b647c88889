using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using LoraSdk.Shared;
using Microsoft.Build.Utilities;

namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// The <c>LoRA</c> section of a fine-tune's configuration file, read with the task assembly's own
    /// <see cref="JsonReader"/>: for its <c>Output</c>, and to forward a non-default <c>Config</c> to the
    /// program, which only loads <c>appsettings.json</c> itself. Which files training depends on is the
    /// program's to say (its dependency file), never guessed from these values.
    /// </summary>
    internal static class FineTuneConfig
    {
        /// <summary>
        /// Reads the section of the file at <paramref name="path"/> (null when it has none); logs LORA121
        /// (bad JSON, at its line and column, or an unreadable file) and returns false otherwise.
        /// </summary>
        public static bool TryReadSection(string path, TaskLoggingHelper log, out Dictionary<string, object?>? section)
        {
            section = null;
            try
            {
                if (JsonReader.Parse(File.ReadAllText(path)) is Dictionary<string, object?> root
                    && root.TryGetValue(FineTuneContract.Section, out object? value))
                {
                    section = value as Dictionary<string, object?>;
                }
                return true;
            }
            catch (JsonFormatException e)
            {
                log.LogError(null, FineTuneContract.BuildCodes.ConfigInvalid, null, path, e.Line, e.Column, 0, 0, $"Cannot read {Path.GetFileName(path)}: {e.Message}.");
                return false;
            }
            catch (IOException e)
            {
                log.LogError(null, FineTuneContract.BuildCodes.ConfigInvalid, null, path, 0, 0, 0, 0, $"Cannot read {Path.GetFileName(path)}: {e.Message}");
                return false;
            }
        }

        /// <summary>
        /// Whether the program has to be told about <paramref name="configName"/> (the item's <c>Config</c>):
        /// true unless it is the file the program loads anyway, <c>appsettings.json</c> in the project folder.
        /// </summary>
        public static bool NeedsForwarding(string projectDirectory, string configName)
        {
            if (configName.Length == 0) return false;
            return !ProjectPaths.AreSame(Path.Combine(projectDirectory, configName), Path.Combine(projectDirectory, FineTuneItem.DefaultConfig));
        }

        /// <summary>
        /// The section as Microsoft.Extensions.Configuration key/value pairs relative to the section
        /// (<c>Rank</c>, <c>Data:Validation</c>, <c>Labels:0</c>), in file order. Numbers keep their value
        /// (round-trip format), booleans are <c>true</c>/<c>false</c>; nulls and empty objects or arrays set nothing.
        /// </summary>
        public static IReadOnlyList<KeyValuePair<string, string>> Flatten(Dictionary<string, object?> section)
        {
            var pairs = new List<KeyValuePair<string, string>>();
            foreach (var entry in section) Flatten(entry.Key, entry.Value, pairs);
            return pairs;
        }

        private static void Flatten(string path, object? value, List<KeyValuePair<string, string>> pairs)
        {
            switch (value)
            {
                case Dictionary<string, object?> obj:
                    foreach (var entry in obj) Flatten(path + ":" + entry.Key, entry.Value, pairs);
                    break;
                case List<object?> list:
                    for (int i = 0; i < list.Count; i++) Flatten(path + ":" + i.ToString(CultureInfo.InvariantCulture), list[i], pairs);
                    break;
                case string text:
                    pairs.Add(new KeyValuePair<string, string>(path, text));
                    break;
                case double number:
                    pairs.Add(new KeyValuePair<string, string>(path, number.ToString("R", CultureInfo.InvariantCulture)));
                    break;
                case bool flag:
                    pairs.Add(new KeyValuePair<string, string>(path, flag ? "true" : "false"));
                    break;
            }
        }

        /// <summary>True when <paramref name="path"/> is one of <paramref name="keys"/> or lies below one (<c>Labels:0</c> below <c>Labels</c>).</summary>
        public static bool IsCoveredBy(string path, IEnumerable<string> keys) =>
            keys.Any(key => path.Equals(key, StringComparison.OrdinalIgnoreCase)
                            || path.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase));
    }
}
