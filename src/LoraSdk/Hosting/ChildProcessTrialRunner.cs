using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LoraSdk.Search;
using LoraSdk.Training;

namespace LoraSdk.Hosting;

/// <summary>
/// Runs each trial as a child process of the program (<see cref="TrialProgram"/>): the run's whole <c>LoRA</c>
/// configuration, then the trial's settings, where it pauses (<c>PauseAtStep</c>: the first steps of the
/// candidate's full run), its share of threads and its own adapter folder. The candidate's checkpoint folder is
/// shared by its trials, so a promoted candidate continues where its previous trial paused instead of starting
/// over. A crash, NaN or bad option in one trial cannot touch the others or the search. The child's output goes to <c>train.log</c> in the trial's folder; its <c>lora-result</c> line is
/// the measurement, and the adapter file gives the trainable parameter count.
/// </summary>
internal sealed class ChildProcessTrialRunner(TrialProgram program, IReadOnlyList<KeyValuePair<string, string>> configuration, string trialsDirectory, int threadsPerTrial)
    : ITrialRunner
{
    /// <summary>The sub-folder of a trial's folder that its run writes the adapter to.</summary>
    public const string AdapterFolder = "adapter";
    /// <summary>The file in a trial's folder that holds the child process's whole output.</summary>
    public const string LogFile = "train.log";

    /// <summary>The checkpoint sub-folder of a candidate's folder, shared by its trials (each continues the last).</summary>
    public const string CheckpointFolder = "checkpoints";

    /// <summary>The folder of one candidate: its settings spelled out, e.g. <c>Rank-8_LearningRate-0.001</c>.</summary>
    public string CandidateDirectory(Candidate candidate) => Path.Combine(trialsDirectory,
        string.Concat(string.Join("_", candidate.Settings.Select(s => $"{s.Key}-{(s.Value == Candidate.AsDeclared ? "declared" : s.Value)}"))
            .Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')));

    /// <summary>The folder of one trial, in its candidate's: e.g. <c>Rank-8_LearningRate-0.001/21-steps</c>.</summary>
    public string TrialDirectory(TrialRequest request) => Path.Combine(CandidateDirectory(request.Candidate), $"{request.Steps}-steps");

    /// <summary>The adapter folder of one trial (inside <see cref="TrialDirectory"/>).</summary>
    public string AdapterDirectory(TrialRequest request) => Path.Combine(TrialDirectory(request), AdapterFolder);

    /// <summary>
    /// Trains one trial in a child process and reads its result line; a crash or non-zero exit is a failed trial, a
    /// process killed from outside a <see cref="TrialInterruptedException"/>, cancellation kills the child.
    /// </summary>
    public async Task<TrialResult> RunAsync(TrialRequest request, CancellationToken cancellationToken)
    {
        string directory = TrialDirectory(request);
        if (Directory.Exists(AdapterDirectory(request))) Directory.Delete(AdapterDirectory(request), recursive: true);
        Directory.CreateDirectory(directory);
        var clock = Stopwatch.StartNew();
        using var log = new StreamWriter(Path.Combine(directory, LogFile));
        var tail = new Queue<string>();
        string? resultJson = null;
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (log)
            {
                log.WriteLine(line);
                if (line.StartsWith(LoraSdk.Shared.FineTuneContract.Lines.Result, StringComparison.Ordinal)) resultJson = line[LoraSdk.Shared.FineTuneContract.Lines.Result.Length..];
                else if (!line.StartsWith(LoraSdk.Shared.FineTuneContract.Lines.Progress, StringComparison.Ordinal))
                {
                    tail.Enqueue(line);
                    if (tail.Count > 5) tail.Dequeue();
                }
            }
        }

        using var process = new Process { StartInfo = program.StartInfo(Arguments(request, directory)) };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } // already gone
            process.WaitForExit(); // its last output lines are written before the log is closed
            throw;
        }
        process.WaitForExit(); // drains the output events
        double seconds = clock.Elapsed.TotalSeconds;
        if (process.ExitCode == FineTuningExitCodes.Cancelled) throw new OperationCanceledException($"Trial {request.Key} was interrupted.");
        string lastWords;
        lock (log) lastWords = string.Join(" | ", tail.Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).DefaultIfEmpty(tail.LastOrDefault() ?? "no output"));
        // Killed from outside before its result: interrupted, not failed (the next run retries it from its checkpoint).
        if (resultJson is null && TrialInterruptedException.ExternalSignal(process.ExitCode) is { } signal)
            throw new TrialInterruptedException(request, signal, Path.Combine(directory, LogFile));
        if (process.ExitCode != 0 || resultJson is null)
            return TrialResult.Failed($"exit code {process.ExitCode}: {lastWords} (log: {Path.Combine(directory, LogFile)})", seconds);
        return Measure(resultJson, AdapterDirectory(request), seconds);
    }

    private IEnumerable<string> Arguments(TrialRequest request, string directory)
    {
        static string Option(string key, string value) => $"--{LoraFineTuningOptions.SectionName}:{key}={value}";
        foreach (var (key, value) in configuration) yield return Option(key, value);
        yield return Option(nameof(SearchOptions.Search), ""); // a trial is one training run, whatever appsettings.json says
        yield return Option(nameof(LoraFineTuningOptions.Output), AdapterDirectory(request));
        // The configured Epochs/MaxSteps stay: a trial is the first steps of the full run, schedule included.
        yield return Option(nameof(TrainerOptions.CheckpointDirectory), Path.Combine(CandidateDirectory(request.Candidate), CheckpointFolder));
        yield return Option(nameof(TrainerOptions.Resume), "true");
        yield return Option(nameof(TrainerOptions.PauseAtStep), request.Steps.ToString(CultureInfo.InvariantCulture));
        yield return Option(nameof(TrainerOptions.Threads), threadsPerTrial.ToString(CultureInfo.InvariantCulture));
        yield return Option(nameof(LoraFineTuningOptions.Progress), nameof(ProgressStyle.Plain));
        foreach (var (key, value) in request.Candidate.SetValues) yield return Option(key, value);
    }

    private static TrialResult Measure(string resultJson, string adapter, double seconds)
    {
        using var json = JsonDocument.Parse(resultJson);
        double? Number(string name) => json.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        return new TrialResult(TrialStatus.Succeeded, Number("validationLoss"), Number("validationAccuracy"), Number("trainLoss"),
            AdapterParameters.Count(adapter), seconds);
    }
}
