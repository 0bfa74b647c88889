using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using LoraSdk.Build.FineTune;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace LoraSdk.Build.Tasks
{
    /// <summary>
    /// Works out, for each <c>LoraFineTune</c> item, where its adapter goes and which files it depends on,
    /// so the <c>LoraFineTune</c> target can skip training when nothing changed. Reads the item's
    /// configuration file (<c>appsettings.json</c> by default) for options the item does not override.
    /// Adds metadata: <c>LoraSdkOutput</c> (adapter folder), <c>LoraSdkAdapterFiles</c>,
    /// <c>LoraSdkInputs</c> (config + data files) and <c>LoraSdkOwnsOutput</c> (folder under obj/, removed by clean);
    /// <see cref="Shipped"/> lists what each adapter puts into the build and publish output.
    /// </summary>
    public sealed class ResolveLoraFineTunes : Task
    {
        /// <summary>The files that make up an adapter (PEFT layout).</summary>
        internal static readonly string[] AdapterFileNames = { "adapter_model.safetensors", "adapter_config.json" };

        [Required]
        public ITaskItem[] FineTunes { get; set; } = Array.Empty<ITaskItem>();

        [Required]
        public string ProjectDirectory { get; set; } = "";

        /// <summary>Adapters go to <c>&lt;this&gt;/&lt;name&gt;</c> unless an option says otherwise (obj/lora).</summary>
        [Required]
        public string DefaultOutputRoot { get; set; } = "";

        /// <summary>The project's intermediate folder (obj/): output folders below it belong to the build.</summary>
        [Required]
        public string IntermediateDirectory { get; set; } = "";

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
                    Log.LogError(null, "LORA122", null, null, 0, 0, 0, 0,
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
                Log.LogError(null, "LORA124", null, null, 0, 0, 0, 0,
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
                Log.LogError(null, "LORA120", null, null, 0, 0, 0, 0, $"LoraFineTune '{name}': its Config file {configPath} does not exist.");
                return null;
            }

            // The program loads appsettings.json besides a forwarded Config file: its LoRA values apply where that file is silent.
            string programConfigPath = Path.GetFullPath(Path.Combine(ProjectDirectory, FineTuneItem.DefaultConfig));
            Dictionary<string, object?>? programSection = null;
            bool alsoProgramConfig = FineTuneConfig.NeedsForwarding(ProjectDirectory, configName) && File.Exists(programConfigPath);
            if (alsoProgramConfig && !FineTuneConfig.TryReadSection(programConfigPath, Log, out programSection)) return null;

            var overrides = FineTuneItem.OptionOverrides(item);
            string? output = overrides.Where(o => o.Key.Equals(FineTuneItem.OutputOption, StringComparison.OrdinalIgnoreCase)).Select(o => o.Value).FirstOrDefault();
            if (string.IsNullOrWhiteSpace(output) && section != null && section.TryGetValue(FineTuneItem.OutputOption, out object? configured))
                output = configured as string;
            string outputDirectory = FineTuneInputs.Normalize(string.IsNullOrWhiteSpace(output)
                ? Path.Combine(DefaultOutputRoot, name)
                : Path.Combine(ProjectDirectory, output));

            var inputs = new FineTuneInputs(ProjectDirectory, outputDirectory);
            if (File.Exists(configPath)) inputs.AddPath(configPath);
            if (section != null) inputs.AddCandidates(section);
            if (alsoProgramConfig) inputs.AddPath(programConfigPath);
            if (programSection != null) inputs.AddCandidates(programSection);
            foreach (var option in overrides.Where(o => !FineTuneItem.IsOutputOption(o.Key))) inputs.AddCandidates(option.Value);
            foreach (string extra in item.GetMetadata(FineTuneItem.ExtraInputsMetadata).Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries))
                inputs.AddPath(extra);

            var result = new TaskItem(item);
            result.SetMetadata("LoraSdkOutput", outputDirectory);
            result.SetMetadata("LoraSdkAdapterFiles", string.Join(";", AdapterFileNames.Select(f => Path.Combine(outputDirectory, f))));
            result.SetMetadata("LoraSdkInputs", string.Join(";", inputs.Files));
            bool owned = FineTuneInputs.IsUnder(outputDirectory, FineTuneInputs.Normalize(IntermediateDirectory));
            result.SetMetadata("LoraSdkOwnsOutput", owned ? "true" : "false");
            Log.LogMessage(MessageImportance.Low, $"LoraFineTune '{name}': adapter {outputDirectory}; inputs: {string.Join(", ", inputs.Files)}");
            return result;
        }
    }
}
