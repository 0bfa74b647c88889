using System.Globalization;
using LoraSdk.Data;
using LoraSdk.Shared;
using LoraSdk.Training;
using Microsoft.Extensions.Logging;

namespace LoraSdk.Hosting;

/// <summary>
/// Shows training progress: in a terminal one live line redrawn in place; when output is redirected, plain
/// log lines plus the machine-readable progress, evaluation and result lines that the build step parses
/// (<see cref="FineTuneContract.Lines"/>).
/// </summary>
internal sealed class ProgressReporter : ITrainingObserver
{
    private readonly ILogger _logger;
    private readonly TextWriter _out;
    private readonly TextWriter _errors;
    private readonly bool _live;
    private double? _validationLoss;
    private int _liveWidth;

    public ProgressReporter(ILogger logger, TextWriter output, TextWriter errors, ProgressStyle style, bool outputIsTerminal)
    {
        _logger = logger;
        _out = output;
        _errors = errors;
        _live = style == ProgressStyle.Live || (style == ProgressStyle.Auto && outputIsTerminal);
    }

    /// <summary>Whether the machine lines (<see cref="FineTuneContract.Lines"/>) are written (not in a live terminal).</summary>
    public bool WritesMachineLines => !_live;

    public void OnStep(StepProgress p)
    {
        if (_live)
        {
            var line = string.Create(CultureInfo.InvariantCulture,
                $"step {p.Step}/{p.TotalSteps} | epoch {p.Epoch} | loss {p.Loss:0.0000} | lr {p.LearningRate:0.00e+00} | {p.StepsPerSecond:0.0} steps/s | ETA {Format(p.Remaining)}");
            _liveWidth = Math.Max(_liveWidth, line.Length);
            _out.Write("\r" + line.PadRight(_liveWidth));
            _out.Flush();
            return;
        }
        _logger.LogInformation("step {Step}/{TotalSteps} epoch {Epoch} loss {Loss:0.0000} lr {LearningRate:0.00e+00} {StepsPerSecond:0.0} steps/s ETA {Eta}",
            p.Step, p.TotalSteps, p.Epoch, p.Loss, p.LearningRate, p.StepsPerSecond, Format(p.Remaining));
        WriteMachineLine(FineTuneContract.Lines.Progress, new()
        {
            [FineTuneContract.Fields.Step] = p.Step,
            [FineTuneContract.Fields.TotalSteps] = p.TotalSteps,
            [FineTuneContract.Fields.Epoch] = p.Epoch,
            [FineTuneContract.Fields.Loss] = Round(p.Loss),
            [FineTuneContract.Fields.LearningRate] = p.LearningRate,
            [FineTuneContract.Fields.StepsPerSecond] = Math.Round(p.StepsPerSecond, 2),
            [FineTuneContract.Fields.ValidationLoss] = _validationLoss is { } v ? Round(v) : null,
        });
    }

    public void OnEvaluation(EvaluationResult e)
    {
        _validationLoss = e.Loss;
        string accuracy = e.Accuracy is { } a ? string.Create(CultureInfo.InvariantCulture, $", accuracy {a:P1}") : "";
        string message = string.Create(CultureInfo.InvariantCulture, $"step {e.Step}: validation loss {e.Loss:0.0000}{accuracy}{(e.IsBest ? " (best so far)" : "")}");
        if (_live) EndLiveLine();
        _logger.LogInformation("{Evaluation}", message);
        if (!WritesMachineLines) return;
        // The build shows evaluations at normal verbosity, where the log line above (low importance) is hidden.
        WriteMachineLine(FineTuneContract.Lines.Evaluation, new()
        {
            [FineTuneContract.Fields.Step] = e.Step,
            [FineTuneContract.Fields.ValidationLoss] = Round(e.Loss),
            [FineTuneContract.Fields.ValidationAccuracy] = e.Accuracy,
            [FineTuneContract.Fields.Best] = e.IsBest,
        });
    }

    public void OnResumed(int step, string directory) =>
        _logger.LogInformation("Resuming from the checkpoint in {Directory} at step {Step}", directory, step);

    public void OnCheckpointIgnored(string directory, string reason) =>
        _logger.LogInformation("Not resuming from the checkpoint in {Directory}: {Reason}; training starts over", directory, reason);

    /// <summary>One canonical warning line (the build shows it as a warning): the file, what is wrong, and what happens now.</summary>
    public void OnCheckpointDamaged(string file, string problem, string keptAs)
    {
        EndLiveLine();
        _errors.WriteLine($"{file}: warning {LoraErrorCodes.DamagedCheckpoint}: the checkpoint cannot be used: {problem}. " +
            $"Training starts over; the damaged checkpoint was moved to {keptAs}.");
        _errors.Flush();
    }

    /// <summary>Ends the live line so that following output starts on a fresh line.</summary>
    public void EndLiveLine()
    {
        if (!_live || _liveWidth == 0) return;
        _out.WriteLine();
        _out.Flush();
        _liveWidth = 0;
    }

    public void WriteResult(string adapter, TrainingResult result)
    {
        if (!WritesMachineLines) return;
        BuildProtocol.WriteResult(adapter, result.TrainLoss, result.ValidationLoss, result.ValidationAccuracy,
            result.BaselineValidationAccuracy, result.Elapsed, _out);
    }

    private void WriteMachineLine(string prefix, Dictionary<string, object?> fields) => BuildProtocol.WriteLine(_out, prefix, fields);

    private static double? Round(double value) => BuildProtocol.Round(value);

    private static string Format(TimeSpan span) =>
        span.TotalHours >= 1 ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : span.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
