// The one definition of the contract between a fine-tuning program (LoraSdk hosting, net10.0) and the build that
// starts it (LoraSdk.Build's tasks, netstandard2.0, and the .targets that call them). Linked as source into both
// assemblies (as dotnet/runtime shares src/libraries/Common), so it uses only what both frameworks and C# versions
// have: no file-scoped namespace, no records, nothing from either side's libraries.
// tests/LoraSdk.Build.Tests/FineTune/ContractTests.cs runs the real trainer through the real task parser and checks
// that the .targets and docs/build-integration.md name no code that is not defined here.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace LoraSdk.Shared
{
    /// <summary>Names, lines, files and codes the trainer and the build both rely on.</summary>
    internal static class FineTuneContract
    {
        /// <summary>The configuration section of the fine-tuning options (<c>appsettings.json</c>, <c>--LoRA:Key=Value</c>).</summary>
        public const string Section = "LoRA";

        /// <summary>The option naming the adapter folder (the build always passes it).</summary>
        public const string OutputOption = "Output";

        /// <summary>The option naming the checkpoint folder (default: <see cref="CheckpointSuffix"/> beside the adapter).</summary>
        public const string CheckpointDirectoryOption = "CheckpointDirectory";

        /// <summary>The program's command that trains: <c>dotnet app.dll train --LoRA:...</c>.</summary>
        public const string TrainCommand = "train";

        /// <summary>
        /// Where the build asks the program to write its dependency file (<see cref="DependencyFile"/>), as protoc's
        /// <c>--dependency_out</c>: <c>--LoraSdkBuild:DependencyFile=&lt;path&gt;</c>. Outside the <c>LoRA</c> section: it
        /// is a request of the build, not a training option.
        /// </summary>
        public const string DependencyFileKey = "LoraSdkBuild:DependencyFile";

        /// <summary>The files of a PEFT adapter folder: the weights and the configuration.</summary>
        public const string AdapterWeightsFile = "adapter_model.safetensors";
        public const string AdapterConfigFile = "adapter_config.json";
        public static readonly string[] AdapterFiles = { AdapterWeightsFile, AdapterConfigFile };

        /// <summary>
        /// <c>LoRA:Gguf=true</c> (the item's <c>Gguf="true"</c>): the run also writes, into the adapter folder, the GGUF
        /// LoRA adapter, the base model as GGUF and an Ollama <c>Modelfile</c> naming both (<see cref="GgufFiles"/>);
        /// <c>LoRA:GgufBaseType</c> says how the base model's 2-D weights are stored (<see cref="GgufBaseTypes"/>).
        /// </summary>
        public const string GgufOption = "Gguf";
        public const string GgufBaseTypeOption = "GgufBaseType";
        public const string GgufAdapterFile = "adapter_model.gguf";
        public const string GgufBaseModelFile = "base_model.gguf";
        public const string OllamaModelfile = "Modelfile";
        public static readonly string[] GgufFiles = { GgufAdapterFile, GgufBaseModelFile, OllamaModelfile };

        /// <summary>The storage types of the base model's GGUF (llama.cpp's names; the first is the default, as llama.cpp's converter's).</summary>
        public static readonly string[] GgufBaseTypes = { "F16", "F32", "Q8_0" };

        /// <summary>Whether an option value asks for the GGUF files: <c>true</c> in any letter case, as configuration binds a bool.</summary>
        public static bool IsTrue(string? value) => value != null && value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase);

        /// <summary>Beside the adapter folder: <c>&lt;Output&gt;.checkpoints/</c> (stays in obj/) and the loss curve <c>&lt;Output&gt;.loss.svg</c> (ships).</summary>
        public const string CheckpointSuffix = ".checkpoints";
        public const string LossCurveSuffix = ".loss.svg";

        /// <summary>How a dependency file names a folder: its path with a separator at the end.</summary>
        public static string FolderEntry(string folder) =>
            folder.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) + Path.DirectorySeparatorChar;

        /// <summary><c>&lt;adapter folder&gt;&lt;suffix&gt;</c>, whatever separator the folder ends with.</summary>
        public static string Beside(string adapterDirectory, string suffix) =>
            adapterDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) + suffix;

        /// <summary>The loss curve of an adapter folder, absolute: <c>&lt;adapter&gt;.loss.svg</c>.</summary>
        public static string LossCurvePath(string adapterDirectory) => Beside(Path.GetFullPath(adapterDirectory), LossCurveSuffix);

        /// <summary>Process exit codes of the program (public as LoraSdk.Hosting.FineTuningExitCodes).</summary>
        public static class ExitCodes
        {
            public const int Success = 0;
            public const int Failed = 1;
            public const int InvalidInput = 2;

            /// <summary>128 + SIGINT, as shells report a Ctrl+C; the program wrote a checkpoint first.</summary>
            public const int Cancelled = 130;
        }

        /// <summary>The build's own diagnostics (the program's are LORA2xx: LoraSdk.Data.LoraErrorCodes).</summary>
        public static class BuildCodes
        {
            /// <summary>TorchSharp's native library could not be patched for an older libstdc++ (warning; docs/torchsharp-linux.md).</summary>
            public const string NativePatchFailed = "LORA101";

            public const string ProgramFailed = "LORA110";
            public const string Interrupted = "LORA111";
            public const string UnreadableReport = "LORA112";
            public const string NoAdapterWritten = "LORA113";
            public const string StaleFileNotDeleted = "LORA114";
            public const string EmptyFolderNotRemoved = "LORA115";
            public const string NoDependencyFile = "LORA116";
            public const string ConfigMissing = "LORA120";
            public const string ConfigInvalid = "LORA121";
            public const string SharedOutput = "LORA122";
            public const string NotAnExecutable = "LORA123";
            public const string InvalidName = "LORA124";
            public const string BackendNeedsRestore = "LORA130";
            public const string UnknownBackend = "LORA131";
            public const string BackendUnsupportedOnOs = "LORA132";

            /// <summary>Every code above, for the test that checks the .targets and the docs against this list.</summary>
            public static readonly string[] All =
            {
                NativePatchFailed, ProgramFailed, Interrupted, UnreadableReport, NoAdapterWritten, StaleFileNotDeleted, EmptyFolderNotRemoved, NoDependencyFile,
                ConfigMissing, ConfigInvalid, SharedOutput, NotAnExecutable, InvalidName,
                BackendNeedsRestore, UnknownBackend, BackendUnsupportedOnOs,
            };
        }

        /// <summary>
        /// The program's machine-readable stdout lines, <c>&lt;prefix&gt; {json object}</c>, written when its output is
        /// redirected (never in a live terminal). Each has the build verbosity at which the build shows it.
        /// </summary>
        public static class Lines
        {
            /// <summary>One per logged step: <see cref="Fields"/> Step, TotalSteps, Epoch, Loss, LearningRate, StepsPerSecond, ValidationLoss.</summary>
            public const string Progress = "lora-progress:";

            /// <summary>One per evaluation on the validation set: Step, ValidationLoss, ValidationAccuracy (classifiers), Best.</summary>
            public const string Evaluation = "lora-evaluation:";

            /// <summary>Once, after the adapter was written: Adapter, TrainLoss, ValidationLoss, ValidationAccuracy, BaselineValidationAccuracy, Seconds.</summary>
            public const string Result = "lora-result:";

            public static readonly string[] All = { Progress, Evaluation, Result };

            /// <summary>How visible the build makes a line (the task maps it to MSBuild's message importance).</summary>
            public static Visibility VisibilityOf(string prefix) =>
                prefix == Result ? Visibility.Minimal
                : prefix == Evaluation ? Visibility.Normal
                : Visibility.NormalEveryInterval;

            /// <summary>The line for <paramref name="prefix"/> with <paramref name="json"/> (one JSON object).</summary>
            public static string Format(string prefix, string json) => prefix + " " + json;

            /// <summary>The prefix <paramref name="line"/> starts with (after leading blanks) and the rest; false for any other line.</summary>
            public static bool TrySplit(string line, out string prefix, out string json)
            {
                string trimmed = line.TrimStart();
                foreach (string candidate in All)
                {
                    if (!trimmed.StartsWith(candidate, StringComparison.Ordinal)) continue;
                    prefix = candidate;
                    json = trimmed.Substring(candidate.Length);
                    return true;
                }
                prefix = json = "";
                return false;
            }
        }

        /// <summary>At which build verbosity a kind of line shows.</summary>
        public enum Visibility
        {
            /// <summary>Shown even at <c>-v:m</c> (high importance): the result.</summary>
            Minimal,

            /// <summary>Shown at <c>-v:n</c> (normal importance): evaluations.</summary>
            Normal,

            /// <summary>The first, one per <c>LoraFineTuneProgressInterval</c> steps and the last at <c>-v:n</c>; every one at <c>-v:d</c>.</summary>
            NormalEveryInterval,

            /// <summary>Only at <c>-v:d</c> (low importance): the program's ordinary stdout, its log lines (its stderr shows at <c>-v:n</c>).</summary>
            Detailed,
        }

        /// <summary>The JSON field names of the lines (camelCase).</summary>
        public static class Fields
        {
            public const string Step = "step";
            public const string TotalSteps = "totalSteps";
            public const string Epoch = "epoch";
            public const string Loss = "loss";
            public const string LearningRate = "learningRate";
            public const string StepsPerSecond = "stepsPerSecond";
            public const string ValidationLoss = "validationLoss";
            public const string ValidationAccuracy = "validationAccuracy";
            public const string Best = "best";
            public const string Adapter = "adapter";
            public const string TrainLoss = "trainLoss";
            public const string BaselineValidationAccuracy = "baselineValidationAccuracy";
            public const string Seconds = "seconds";
        }

        /// <summary>
        /// The list of files a successful run read (configuration files, data sets, vocabulary, base weights), which
        /// the build makes the inputs of the next build's up-to-date check. Text: a header line, one absolute path a
        /// line (a folder ends with a separator: the build takes every file in it at the time, so an added file
        /// retrains too), an end line. Anything else (cut short, edited, another version) is unreadable, and the build then
        /// trains again rather than trusting it.
        /// </summary>
        public static class DependencyFile
        {
            public const string Header = "# LoraSdk fine-tune inputs, version 1";
            public const string End = "# end";

            public static string Format(IEnumerable<string> files)
            {
                var text = new StringBuilder(Header).Append('\n');
                foreach (string file in files) text.Append(file).Append('\n');
                return text.Append(End).Append('\n').ToString();
            }

            /// <summary>The paths in <paramref name="text"/>; null when it is not a complete dependency file.</summary>
            public static List<string>? Parse(string text)
            {
                string[] lines = text.Replace("\r\n", "\n").Split('\n');
                int last = lines.Length - 1;
                while (last >= 0 && lines[last].Length == 0) last--;
                if (last < 1 || lines[0] != Header || lines[last] != End) return null;
                var files = new List<string>();
                for (int i = 1; i < last; i++)
                {
                    string path = lines[i];
                    if (path.Length == 0 || !Path.IsPathRooted(path) || path.IndexOfAny(Path.GetInvalidPathChars()) >= 0) return null;
                    files.Add(path);
                }
                return files;
            }
        }
    }
}
