using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using LoraSdk.Build.FineTune;
using LoraSdk.Shared;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace LoraSdk.Build.Tasks
{
    /// <summary>
    /// Fine-tunes one adapter by running the project's own built program as a child process,
    /// <c>dotnet &lt;app.dll&gt; train --LoRA:Key=Value ...</c>, so TorchSharp never loads into MSBuild.
    /// Relays the program's progress as build messages and its canonical <c>error LORAxxx</c> lines as
    /// build errors. A failed or cancelled run leaves no adapter: the program writes atomically, and
    /// this task deletes the previous adapter files, which no longer match the inputs.
    /// </summary>
    public sealed class LoraFineTune : ToolTask
    {
        private readonly ProgressThrottle _throttle = new ProgressThrottle();

        /// <summary>The program's latest output lines (progress reports aside): the error raised for a failed run quotes them.</summary>
        private readonly TrainerOutputTail _tail = new TrainerOutputTail();

        private readonly ManualResetEvent _cancelled = new ManualResetEvent(false);

        /// <summary>The <c>LoRA</c> section of a non-default <c>Config</c> file, flattened (empty otherwise).</summary>
        private IReadOnlyList<KeyValuePair<string, string>> _configValues = Array.Empty<KeyValuePair<string, string>>();

        /// <summary>The <c>LoraFineTune</c> item: its identity names the run, its metadata override options.</summary>
        [Required]
        public ITaskItem FineTune { get; set; } = null!;

        /// <summary>The built program (framework-dependent <c>.dll</c>).</summary>
        [Required]
        public string Assembly { get; set; } = "";

        /// <summary>Working directory of the program; relative paths in options and errors are resolved against it.</summary>
        [Required]
        public string ProjectDirectory { get; set; } = "";

        /// <summary>The adapter folder, always passed as <c>--LoRA:Output</c> so it matches the target's outputs.</summary>
        [Required]
        public string Output { get; set; } = "";

        /// <summary>The adapter files the target declares as outputs; deleted when training fails.</summary>
        public ITaskItem[] AdapterFiles { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>
        /// Where the program lists the files it read (<see cref="FineTuneContract.DependencyFile"/>), passed as
        /// <c>--LoraSdkBuild:DependencyFile</c>: the next build's inputs. Deleted when training fails, so that build trains.
        /// </summary>
        public string? DependencyFile { get; set; }

        /// <summary>Relay a progress line at normal verbosity every this many steps (others at detailed verbosity).</summary>
        public int ProgressInterval
        {
            get => _throttle.Interval;
            set => _throttle.Interval = value;
        }

        /// <summary>The program's command that trains.</summary>
        public string Command { get; set; } = FineTuneContract.TrainCommand;

        /// <summary>The <see cref="FineTune"/> item when training succeeded (empty otherwise).</summary>
        [Output]
        public ITaskItem[] Trained { get; private set; } = Array.Empty<ITaskItem>();

        /// <summary>The adapter folder the program reported.</summary>
        [Output]
        public string? AdapterDirectory { get; private set; }

        private string Name => FineTune.ItemSpec;

        protected override string ToolName => RuntimeInformationIsWindows ? "dotnet.exe" : "dotnet";

        protected override Encoding StandardOutputEncoding => Encoding.UTF8;

        protected override Encoding StandardErrorEncoding => Encoding.UTF8;

        private static bool RuntimeInformationIsWindows => Path.DirectorySeparatorChar == '\\';

        public override bool Execute()
        {
            string output = OutputFullPath;
            using (var held = OutputLock.Take(OutputLock.PathFor(output),
                () => Log.LogMessage(MessageImportance.High, $"{Name}: another build is training {Name} ({output}); waiting…"),
                _cancelled, TimeSpan.FromMilliseconds(250)))
            {
                if (held == null)
                {
                    Log.LogError(null, FineTuneContract.BuildCodes.Interrupted, null, null, 0, 0, 0, 0, $"Fine-tuning '{Name}' was cancelled while waiting for another build; no adapter was written.");
                    return false;
                }
                Log.LogMessage(MessageImportance.High, $"{Name}: fine-tuning (adapter: {Output})");
                bool succeeded = base.Execute() && !Log.HasLoggedErrors && CheckAdapterWritten();
                if (succeeded) Trained = new[] { FineTune };
                else DeleteStaleAdapter();
                return succeeded;
            }
        }

        public override void Cancel()
        {
            _cancelled.Set();
            base.Cancel();
        }

        private string OutputFullPath => Path.GetFullPath(Path.Combine(ProjectDirectory, Output));

        /// <summary>
        /// The program loads only <c>appsettings.json</c>: another <c>Config</c> file's <c>LoRA</c> section is
        /// forwarded as command-line overrides, read here so that a bad file fails before the program starts.
        /// </summary>
        protected override bool ValidateParameters()
        {
            string configName = FineTune.GetMetadata(FineTuneItem.ConfigMetadata);
            if (!FineTuneConfig.NeedsForwarding(ProjectDirectory, configName)) return base.ValidateParameters();
            string configPath = Path.GetFullPath(Path.Combine(ProjectDirectory, configName));
            if (!File.Exists(configPath))
            {
                Log.LogError(null, FineTuneContract.BuildCodes.ConfigMissing, null, null, 0, 0, 0, 0, $"LoraFineTune '{Name}': its Config file {configPath} does not exist.");
                return false;
            }
            if (!FineTuneConfig.TryReadSection(configPath, Log, out var section)) return false;
            if (section != null) _configValues = FineTuneConfig.Flatten(section);
            return base.ValidateParameters();
        }

        protected override string GenerateFullPathToTool()
        {
            // The dotnet CLI tells MSBuild which host runs it; use the same one for the program.
            string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host!;
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            {
                if (dir.Length == 0) continue;
                string candidate = Path.Combine(dir, ToolName);
                if (File.Exists(candidate)) return candidate;
            }
            return ToolName;
        }

        protected override string GenerateCommandLineCommands()
        {
            var builder = new CommandLineBuilder();
            builder.AppendFileNameIfNotNull(Assembly);
            builder.AppendSwitch(Command);
            var itemOptions = FineTuneItem.OptionOverrides(FineTune).Where(o => !FineTuneItem.IsOutputOption(o.Key)).ToList();
            // The item's metadata wins over its Config file, a whole array or object included; Output always comes from the target.
            var overridden = itemOptions.Select(o => o.Key).Concat(new[] { FineTuneContract.OutputOption }).ToList();
            foreach (var option in _configValues.Where(v => !FineTuneConfig.IsCoveredBy(v.Key, overridden)).Concat(itemOptions))
            {
                builder.AppendSwitchIfNotNull($"--{FineTuneContract.Section}:{option.Key}=", option.Value);
            }
            builder.AppendSwitchIfNotNull($"--{FineTuneContract.Section}:{FineTuneContract.OutputOption}=", Output);
            if (!string.IsNullOrEmpty(DependencyFile)) builder.AppendSwitchIfNotNull($"--{FineTuneContract.DependencyFileKey}=", DependencyFile);
            return builder.ToString();
        }

        protected override string GetWorkingDirectory() => ProjectDirectory;

        protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
        {
            if (TryRelayReport(singleLine)) return;
            _tail.Add(singleLine);
            TrainerDiagnostic? diagnostic = TrainerDiagnostic.TryParse(singleLine);
            if (diagnostic == null)
            {
                Log.LogMessage(messageImportance, singleLine);
                return;
            }
            string? file = ResolvePath(diagnostic.File);
            if (diagnostic.IsError)
                Log.LogError(null, diagnostic.Code, null, file, diagnostic.Line, diagnostic.Column, 0, 0, diagnostic.Message);
            else
                Log.LogWarning(null, diagnostic.Code, null, file, diagnostic.Line, diagnostic.Column, 0, 0, diagnostic.Message);
        }

        protected override bool HandleTaskExecutionErrors()
        {
            if (ExitCode == FineTuneContract.ExitCodes.Cancelled)
            {
                Log.LogError(null, FineTuneContract.BuildCodes.Interrupted, null, null, 0, 0, 0, 0,
                    $"Fine-tuning '{Name}' was interrupted (exit code 130); no adapter was written.");
            }
            else if (!Log.HasLoggedErrors)
            {
                // The program's own errors (already logged) explain a failure; otherwise say where to look.
                // At minimal verbosity the program's output is not shown, so the error carries its last words.
                Log.LogError(null, FineTuneContract.BuildCodes.ProgramFailed, null, null, 0, 0, 0, 0,
                    $"Fine-tuning '{Name}' failed: '{Path.GetFileName(Assembly)} {Command}' exited with code {ExitCode}{_tail.Describe()}");
            }
            return false;
        }

        private bool TryRelayReport(string line)
        {
            TrainerReport? report;
            try
            {
                report = TrainerReport.TryParse(line);
            }
            catch (FormatException e)
            {
                Log.LogWarning(null, FineTuneContract.BuildCodes.UnreadableReport, null, null, 0, 0, 0, 0, $"{Name}: could not read the trainer's report line ({e.Message}): {line}");
                return true;
            }
            if (report == null) return false;
            if (report.Prefix == FineTuneContract.Lines.Result) AdapterDirectory = report.Text(FineTuneContract.Fields.Adapter);
            Log.LogMessage(ImportanceOf(report), report.Format(Name));
            return true;
        }

        /// <summary>The message importance of a report line (<see cref="FineTuneContract.Visibility"/>); progress is throttled.</summary>
        private MessageImportance ImportanceOf(TrainerReport report)
        {
            switch (report.Visibility)
            {
                case FineTuneContract.Visibility.Minimal:
                    return MessageImportance.High;
                case FineTuneContract.Visibility.Normal:
                    return MessageImportance.Normal;
                case FineTuneContract.Visibility.NormalEveryInterval:
                    return _throttle.ShouldRelay(report.Step, report.TotalSteps) ? MessageImportance.Normal : MessageImportance.Low;
                default:
                    return MessageImportance.Low;
            }
        }

        private bool CheckAdapterWritten()
        {
            var missing = AdapterFiles.Select(f => f.GetMetadata("FullPath")).Where(p => !File.Exists(p)).ToList();
            if (missing.Count == 0)
            {
                WarnIfNoDependencyFile();
                return true;
            }
            Log.LogError(null, FineTuneContract.BuildCodes.NoAdapterWritten, null, null, 0, 0, 0, 0,
                $"Fine-tuning '{Name}': '{Path.GetFileName(Assembly)} {Command}' succeeded but did not write {string.Join(", ", missing)}. " +
                $"The program must handle the '{Command}' command (LoraSdk hosting) and honour --{FineTuneContract.Section}:{FineTuneContract.OutputOption}.");
            return false;
        }

        /// <summary>
        /// A program that trains without LoraSdk hosting's <c>train</c> command writes no dependency file: the adapter is
        /// fine, but with an output missing every build trains again. Say so once per run rather than retrain silently.
        /// </summary>
        private void WarnIfNoDependencyFile()
        {
            if (string.IsNullOrEmpty(DependencyFile)) return;
            string path = Path.GetFullPath(Path.Combine(ProjectDirectory, DependencyFile));
            if (File.Exists(path)) return;
            Log.LogWarning(null, FineTuneContract.BuildCodes.NoDependencyFile, null, null, 0, 0, 0, 0,
                $"Fine-tuning '{Name}': '{Path.GetFileName(Assembly)} {Command}' wrote the adapter but not the list of files it read ({path}), " +
                $"so every build will train again. The program must run LoraSdk hosting (RunLoraFineTuningAsync) and pass its arguments to the host.");
        }

        private void DeleteStaleAdapter()
        {
            // The loss curve beside the adapter describes the run that wrote it: it goes with the adapter. Without the
            // dependency file the next build trains, whatever the adapter's age.
            var related = new List<string> { FineTuneContract.Beside(OutputFullPath, FineTuneContract.LossCurveSuffix) };
            if (!string.IsNullOrEmpty(DependencyFile)) related.Add(Path.GetFullPath(Path.Combine(ProjectDirectory, DependencyFile)));
            foreach (string path in AdapterFiles.Select(f => f.GetMetadata("FullPath")).Concat(related))
            {
                try
                {
                    if (!File.Exists(path)) continue;
                    File.Delete(path);
                    Log.LogMessage(MessageImportance.Normal, $"{Name}: deleted {path}, which no longer matches the inputs.");
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    Log.LogWarning(null, FineTuneContract.BuildCodes.StaleFileNotDeleted, null, path, 0, 0, 0, 0, $"Could not delete the stale adapter file {path}: {e.Message}");
                }
            }
        }

        private string? ResolvePath(string? file)
        {
            if (string.IsNullOrEmpty(file)) return file;
            try
            {
                return Path.GetFullPath(Path.Combine(ProjectDirectory, file));
            }
            catch (Exception e) when (e is ArgumentException || e is NotSupportedException || e is PathTooLongException)
            {
                return file;
            }
        }
    }
}
