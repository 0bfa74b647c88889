using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using LoraSdk.Build.FineTune;
using LoraSdk.Shared;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace LoraSdk.Build.Tasks
{
    /// <summary>
    /// Works out, for each <c>LoraFineTune</c> item, where its adapter goes and which files it depends on,
    /// so the <c>LoraFineTune</c> target can skip training when nothing changed. Reads the item's
    /// configuration file (<c>appsettings.json</c> by default) for an <c>Output</c> the item does not set.
    /// The inputs are what the program listed in its dependency file after its last successful run
    /// (<see cref="TrainerDependencies"/>), a forwarded <c>Config</c> file, the item's <c>ExtraInputs</c> and a
    /// stamp of the item's metadata (<see cref="FineTuneStamp"/>, written here when they changed).
    /// Adds metadata: <c>LoraSdkOutput</c> (adapter folder), <c>LoraSdkAdapterFiles</c>, <c>LoraSdkDependencyFile</c>, <c>LoraSdkOptionsStamp</c>,
    /// <c>LoraSdkInputs</c>, <c>LoraSdkLossCurve</c>, <c>LoraSdkCheckpoints</c> and <c>LoraSdkOwnsOutput</c>
    /// (folder under obj/, removed by clean); <see cref="Shipped"/> lists what each adapter puts into the build
    /// and publish output.
    /// </summary>
    public sealed class ResolveLoraFineTunes : Task
    {
        [Required]
        public ITaskItem[] FineTunes { get; set; } = Array.Empty<ITaskItem>();

        [Required]
        public string ProjectDirectory { get; set; } = "";

        /// <summary>Adapters go to <c>&lt;this&gt;/&lt;name&gt;</c> unless an option says otherwise (obj/lora).</summary>
        [Required]
        public string DefaultOutputRoot { get; set; } = "";

        /// <summary>The project's intermediate folder (obj/): output folders below it belong to the build; dependency files go there.</summary>
        [Required]
        public string IntermediateDirectory { get; set; } = "";

        /// <summary>Whether to (re)write each item's options stamp: only builds that may train need it (not clean, not a copy-only build).</summary>
        public bool WriteOptionsStamps { get; set; } = true;

        [Output]
        public ITaskItem[] Resolved { get; private set; } = Array.Empty<ITaskItem>();

        /// <summary>
        /// The files each adapter ships with the app (<see cref="ShippedAdapterFiles"/>): the adapter files and the
        /// loss curve, with <c>TargetPath</c> = <c>lora/&lt;name&gt;/...</c> relative to the output and publish folders.
        /// They need not exist yet (training runs after the compile).
        /// </summary>
        [Output]
        public ITaskItem[] Shipped { get; private set; } = Array.Empty<ITaskItem>();

        public override bool Execute()
        {
            var resolved = new List<ITaskItem>();
            var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (ITaskItem item in FineTunes)
            {
                ITaskItem? result = Resolve(item);
                if (result == null) continue;
                string output = result.GetMetadata("LoraSdkOutput");
                if (outputs.TryGetValue(output, out string? other))
                {
                    Log.LogError(null, FineTuneContract.BuildCodes.SharedOutput, null, null, 0, 0, 0, 0,
                        $"LoraFineTune items '{other}' and '{item.ItemSpec}' both write their adapter to {output}; give one of them another Output.");
                    continue;
                }
                outputs[output] = item.ItemSpec;
                resolved.Add(result);
            }
            Resolved = resolved.ToArray();
            Shipped = resolved.SelectMany(r => ShippedAdapterFiles.For(r.ItemSpec, r.GetMetadata("LoraSdkOutput"))).ToArray();
            return !Log.HasLoggedErrors;
        }

        private ITaskItem? Resolve(ITaskItem item)
        {
            string name = item.ItemSpec;
            if (!ShippedAdapterFiles.IsValidName(name))
            {
                Log.LogError(null, FineTuneContract.BuildCodes.InvalidName, null, null, 0, 0, 0, 0,
                    $"LoraFineTune '{name}': the item's name names its adapter folder in the output (lora/<name>/), so it must be a plain folder name (no path separators, not '.' or '..').");
                return null;
            }
            string configName = item.GetMetadata(FineTuneItem.ConfigMetadata);
            bool configExplicit = configName.Length > 0;
            string configPath = Path.GetFullPath(Path.Combine(ProjectDirectory, configExplicit ? configName : FineTuneItem.DefaultConfig));
            Dictionary<string, object?>? section = null;
            if (File.Exists(configPath))
            {
                if (!FineTuneConfig.TryReadSection(configPath, Log, out section)) return null;
            }
            else if (configExplicit)
            {
                Log.LogError(null, FineTuneContract.BuildCodes.ConfigMissing, null, null, 0, 0, 0, 0, $"LoraFineTune '{name}': its Config file {configPath} does not exist.");
                return null;
            }

            string? output = FineTuneItem.OptionOverrides(item).Where(o => FineTuneItem.IsOutputOption(o.Key)).Select(o => o.Value).FirstOrDefault();
            if (string.IsNullOrWhiteSpace(output) && section != null && section.TryGetValue(FineTuneContract.OutputOption, out object? configured))
                output = configured as string;
            string outputDirectory = ProjectPaths.Normalize(string.IsNullOrWhiteSpace(output)
                ? Path.Combine(DefaultOutputRoot, name)
                : Path.Combine(ProjectDirectory, output));

            string dependencyFile = TrainerDependencies.PathFor(IntermediateDirectory, name);
            var inputs = new SortedSet<string>(StringComparer.Ordinal);
            // The program never reads a forwarded Config file itself (the task passes its values), so it is the build's input.
            if (FineTuneConfig.NeedsForwarding(ProjectDirectory, configName)) inputs.Add(configPath);
            IReadOnlyList<string>? read = TrainerDependencies.Read(dependencyFile, out string? problem);
            // A folder entry stands for every file in it now: an image added to a class folder retrains.
            // A listed file that is gone stays an input, which makes MSBuild run the target.
            if (read != null) foreach (string entry in read) inputs.UnionWith(Directory.Exists(entry) ? ProjectPaths.FilesAt(ProjectDirectory, entry) : new[] { entry });
            else if (problem != null)
            {
                // An input that does not exist makes MSBuild run the target: an unreadable list retrains, never skips.
                inputs.Add(dependencyFile + ".unreadable");
                Log.LogMessage(MessageImportance.Normal, $"LoraFineTune '{name}': cannot use {dependencyFile} ({problem}); fine-tuning again.");
            }
            // The item's own metadata (options, Config, ExtraInputs): changing them retrains.
            string stamp = FineTuneStamp.PathFor(IntermediateDirectory, name);
            if (WriteOptionsStamps) FineTuneStamp.WriteIfChanged(stamp, FineTuneItem.Describe(item));
            inputs.Add(stamp);
            foreach (string extra in item.GetMetadata(FineTuneItem.ExtraInputsMetadata).Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries))
                inputs.UnionWith(ProjectPaths.FilesAt(ProjectDirectory, extra));

            var result = new TaskItem(item);
            result.SetMetadata("LoraSdkOutput", outputDirectory);
            // With Gguf=true the GGUF adapter, base and Modelfile are outputs too: one missing retrains, clean deletes them.
            IEnumerable<string> adapterFiles = GgufRequested(item, section) ? FineTuneContract.AdapterFiles.Concat(FineTuneContract.GgufFiles) : FineTuneContract.AdapterFiles;
            result.SetMetadata("LoraSdkAdapterFiles", string.Join(";", adapterFiles.Select(f => Path.Combine(outputDirectory, f))));
            result.SetMetadata("LoraSdkDependencyFile", dependencyFile);
            result.SetMetadata("LoraSdkOptionsStamp", stamp);
            result.SetMetadata("LoraSdkInputs", string.Join(";", inputs));
            result.SetMetadata("LoraSdkLossCurve", FineTuneContract.Beside(outputDirectory, FineTuneContract.LossCurveSuffix));
            result.SetMetadata("LoraSdkCheckpoints", FineTuneContract.Beside(outputDirectory, FineTuneContract.CheckpointSuffix));
            bool owned = ProjectPaths.IsUnder(outputDirectory, ProjectPaths.Normalize(IntermediateDirectory));
            result.SetMetadata("LoraSdkOwnsOutput", owned ? "true" : "false");
            Log.LogMessage(MessageImportance.Low, $"LoraFineTune '{name}': adapter {outputDirectory}; inputs: {string.Join(", ", inputs)}");
            return result;
        }

        /// <summary>Whether the item's <c>Gguf</c> metadata, or else its config's <c>LoRA:Gguf</c>, is true (the program reads the same two, item first).</summary>
        private static bool GgufRequested(ITaskItem item, Dictionary<string, object?>? section)
        {
            string? fromItem = FineTuneItem.OptionOverrides(item)
                .Where(o => o.Key.Equals(FineTuneContract.GgufOption, StringComparison.OrdinalIgnoreCase)).Select(o => o.Value).FirstOrDefault();
            if (fromItem != null) return FineTuneContract.IsTrue(fromItem);
            return section != null && section.TryGetValue(FineTuneContract.GgufOption, out object? value)
                && (value is bool flag ? flag : FineTuneContract.IsTrue(value as string));
        }
    }
}
