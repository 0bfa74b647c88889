using System.Globalization;
using System.Reflection;
using System.Text.Json;
using LoraSdk.Data;
using LoraSdk.Files;
using LoraSdk.Search;
using LoraSdk.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace LoraSdk.Hosting;

/// <summary>
/// A fine-tuning run whose <c>LoRA:Search</c> is set: plans successive halving over the search space, runs the
/// trials as child processes (<see cref="ChildProcessTrialRunner"/>), installs the winner as the adapter and
/// writes the report (<c>&lt;Output&gt;.search.md</c> + <c>.search.svg</c>). Files beside the adapter:
/// <c>&lt;Output&gt;.search/state.json</c> (finished trials, for resume) and <c>&lt;Output&gt;.search/trials/</c>.
/// </summary>
internal sealed class SearchRun(LoraFineTuningOptions options, SearchOptions search, LoraTask task, string modelName,
    IConfiguration configuration, ILogger logger, Func<LoraOptions?> declaredAdapterOptions)
{
    /// <summary>Keys of the LoRA section a trial does not inherit: the search's own, and the paths each trial sets.</summary>
    private static readonly HashSet<string> NotInherited = new(
        SearchOptions.Keys.Concat([nameof(LoraFineTuningOptions.Output), nameof(TrainerOptions.CheckpointDirectory)]),
        StringComparer.OrdinalIgnoreCase);

    public static string ReportPath(string output) => Trimmed(output) + ".search.md";
    public static string PlotPath(string output) => Trimmed(output) + ".search.svg";
    public static string WorkDirectory(string output) => Trimmed(output) + ".search";

    public int Execute(FineTuningData data, FineTuningOutcome outcome, CancellationToken stoppingToken)
    {
        var space = SearchSpaceParser.Parse(search.Search);
        if (data.Validation.Count == 0)
        {
            Console.Error.WriteLine(ConfigurationOrigin.ErrorLine(configuration, $"{LoraFineTuningOptions.SectionName}:{nameof(SearchOptions.Search)}",
                $"{LoraFineTuningOptions.SectionName}:{nameof(SearchOptions.Search)} = {search.Search}: a search ranks trials on validation data, and there is none (set ValidationDataset, or a ValidationSplit above 0)."));
            return FineTuningExitCodes.InvalidInput;
        }
        var grid = space.Candidates();
        var incumbent = search.Incumbent ? ConfiguredCandidate.Of(space, grid, options, declaredAdapterOptions) : null;
        var challengers = grid.Where(c => c != incumbent).Select(c => c.Index).ToList();
        if (challengers.Count + (incumbent is null ? 0 : 1) < 2)
        {
            // One value per axis (Rank=8) that is what the run trains anyway: a "search" would train one run and call it the winner.
            string why = incumbent is null
                ? $"its one candidate ({grid[0].Label}) has nothing to be compared with (Incumbent=false)"
                : $"its one candidate ({grid[0].Label}) is the configured settings";
            Console.Error.WriteLine(ConfigurationOrigin.ErrorLine(configuration, $"{LoraFineTuningOptions.SectionName}:{nameof(SearchOptions.Search)}",
                $"{LoraFineTuningOptions.SectionName}:{nameof(SearchOptions.Search)} = {search.Search}: nothing to compare: {why}. List two or more values " +
                $"of a key to search them, or set the value itself ({string.Join(", ", grid[0].SetValues.Select(v => $"{LoraFineTuningOptions.SectionName}:{v.Key}={v.Value}"))}) and leave Search unset."));
            return FineTuningExitCodes.InvalidInput;
        }
        var plan = SuccessiveHalvingPlan.Create(challengers, search.Budget, options.Trainer.Seed, incumbent is not null);
        var ranking = new TrialRanking(task);
        string output = Path.GetFullPath(options.Output);
        string work = WorkDirectory(output);
        var inherited = Flatten(configuration.GetSection(LoraFineTuningOptions.SectionName))
            .Where(p => !NotInherited.Contains(p.Key.Split(':')[0])).ToList();
        string program = Assembly.GetEntryAssembly()?.Location ?? "";
        string fingerprint = SearchFingerprint.Of(program, [options.Dataset, options.ValidationDataset, options.VocabularyFile], inherited, space, search.Budget, search.Incumbent);
        var state = SearchState.Open(Path.Combine(work, "state.json"), fingerprint, out string? discarded, out bool damaged);
        if (damaged) logger.LogWarning("Search starts over: {Reason}", discarded);
        else if (discarded is not null) logger.LogInformation("Search starts over: {Reason}", discarded);
        else if (state.Trials.Count > 0) logger.LogInformation("Search resumes: {Count} finished trials are not run again", state.Trials.Count);
        // Trials continue their candidate's checkpoint: never one of another search, or of trials the state does not know.
        if (state.Trials.Count == 0 && Directory.Exists(Path.Combine(work, "trials"))) Directory.Delete(Path.Combine(work, "trials"), recursive: true);

        int parallel = Math.Max(1, Math.Min(search.MaxParallelTrials, plan.CandidateIndexes.Count + (plan.Incumbent ? 1 : 0)));
        int threads = options.Trainer.Threads > 0 ? options.Trainer.Threads : Math.Max(1, Environment.ProcessorCount / parallel);
        var runner = new ChildProcessTrialRunner(TrialProgram.Current(), inherited, Path.Combine(work, "trials"), threads);
        int FullRunSteps(Candidate c) => FullRun.Steps(data.Train.Count, options.Trainer, c);
        logger.LogInformation("Searching {Space} for {Model}: {Count} candidates{Incumbent}, budget {Budget} runs of {Steps} steps, rounds {Rounds} (trials continue, each round up to that much of the full run); {Parallel} trial(s) at a time, {Threads} thread(s) each",
            space.ToString(), modelName, plan.CandidateIndexes.Count, incumbent is null ? "" : $" and the configured settings ({incumbent.Label}), never pruned",
            search.Budget, FullRunSteps(grid[0]),
            string.Join(" → ", plan.Rungs.Select(r => $"{r.Candidates}{(plan.Incumbent ? "+1" : "")}×{r.Fraction * 100:0.#}%")), parallel, threads);

        var scheduler = new SearchScheduler(plan, grid, FullRunSteps, ranking, state, runner, parallel, incumbent)
        {
            TrialFinished = (trial, reused) => logger.LogInformation("Trial {Settings}, {Steps} steps: {Result}{Reused}",
                trial.Request.Candidate.Label, trial.Request.Steps,
                trial.Result.Status == TrialStatus.Succeeded ? $"{ranking.MetricName} {SearchReport.Metric(ranking, trial.Result)} in {trial.Result.Seconds:0.0} s" : "failed: " + trial.Result.Failure,
                reused ? " (finished earlier)" : ""),
            CanReuseWinner = trial => Directory.Exists(runner.AdapterDirectory(trial.Request)),
        };
        SearchOutcome result;
        try
        {
            result = scheduler.RunAsync(stoppingToken).GetAwaiter().GetResult();
        }
        catch (TrialInterruptedException e)
        {
            // No winner without that trial: the next run trains it again from its checkpoint and ends as an uninterrupted search would.
            logger.LogWarning("{Reason}. The search stops without a winner; its {Count} finished trials are kept in {Directory}, and the next run retries this trial from its checkpoint",
                e.Message, state.Trials.Count, work);
            return FineTuningExitCodes.Cancelled;
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Search stopped; its {Count} finished trials are kept in {Directory} and the next run resumes from them", state.Trials.Count, work);
            return FineTuningExitCodes.Cancelled;
        }

        string report = ReportPath(output);
        string name = Path.GetFileName(Trimmed(output));
        if (result.Winner is null)
        {
            AtomicFile.WriteAllText(report, SearchReport.Markdown(name, space, search, plan, grid.Count, result, ranking, options.Trainer.Seed, Path.GetFileName(PlotPath(output)), null));
            Console.Error.WriteLine($"error {LoraErrorCodes.SearchFailed}: the search found no winner: {result.Failure}. Report: {report}");
            return FineTuningExitCodes.Failed;
        }

        var winner = result.Winner;
        WinnerAdapter.Install(runner.AdapterDirectory(winner.Request), output, winner, result.IncumbentWon, ranking, result.Trials.Count, report,
            message => logger.LogWarning("{Warning}", message));
        AtomicFile.WriteAllText(PlotPath(output), SearchPlotSvg.Render(space, result.Trials, winner, ranking, $"{name}: {ranking.MetricName} of each trial"));
        AtomicFile.WriteAllText(report, SearchReport.Markdown(name, space, search, plan, grid.Count, result, ranking, options.Trainer.Seed, Path.GetFileName(PlotPath(output)), output));
        CleanUpTrials(Path.Combine(work, "trials"), search.KeepTrialAdapters);

        logger.LogInformation("Search winner: {Settings} ({Metric} {Value}) of {Count} trials{Configured}; report: {Report}",
            winner.Request.Candidate.Label, ranking.MetricName, SearchReport.Metric(ranking, winner.Result), result.Trials.Count,
            result.IncumbentWon ? ": the configured settings, no candidate beat them" : "", report);
        WriteResultLine(output, winner, result, report);
        outcome.AdapterPath = output;
        return FineTuningExitCodes.Success;
    }

    /// <summary>The build's <c>lora-result</c> line, with the winner and the report added.</summary>
    private void WriteResultLine(string output, TrialRecord winner, SearchOutcome result, string report)
    {
        if (!new ProgressReporter(logger, Console.Out, Console.Error, options.Progress, !Console.IsOutputRedirected).WritesMachineLines) return;
        Console.Out.WriteLine(LoraSdk.Shared.FineTuneContract.Lines.Result + " " + JsonSerializer.Serialize(new
        {
            adapter = output,
            trainLoss = winner.Result.TrainLoss,
            validationLoss = winner.Result.ValidationLoss,
            validationAccuracy = winner.Result.ValidationAccuracy,
            seconds = Math.Round(result.Trials.Sum(t => t.Result.Seconds), 2),
            search = report,
            winner = winner.Request.Candidate.Label,
            configured = result.IncumbentWon,
            trials = result.Trials.Count,
        }));
        Console.Out.Flush();
    }

    /// <summary>
    /// After a finished search: the candidates' checkpoints (nothing continues them now), and unless
    /// <paramref name="keepAdapters"/> each trial's adapter and loss curve. The logs stay.
    /// </summary>
    private static void CleanUpTrials(string trials, bool keepAdapters)
    {
        if (!Directory.Exists(trials)) return;
        foreach (string candidate in Directory.GetDirectories(trials))
        {
            string checkpoints = Path.Combine(candidate, ChildProcessTrialRunner.CheckpointFolder);
            if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
            if (keepAdapters) continue;
            foreach (string trial in Directory.GetDirectories(candidate))
            {
                string adapter = Path.Combine(trial, ChildProcessTrialRunner.AdapterFolder);
                if (Directory.Exists(adapter)) Directory.Delete(adapter, recursive: true);
                string curve = LoraFineTuningService.LossCurvePath(adapter);
                if (File.Exists(curve)) File.Delete(curve);
            }
        }
    }

    /// <summary>Every value under <paramref name="section"/> as <c>Key:Sub=value</c> pairs (relative to the section).</summary>
    private static IEnumerable<KeyValuePair<string, string>> Flatten(IConfigurationSection section) =>
        section.AsEnumerable(makePathsRelative: true).Where(p => p.Value is not null).Select(p => new KeyValuePair<string, string>(p.Key, p.Value!))
            .OrderBy(p => p.Key, StringComparer.Ordinal);

    private static string Trimmed(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
}
