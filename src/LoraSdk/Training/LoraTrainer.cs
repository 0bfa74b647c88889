using LoraSdk.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Training;

/// <summary>
/// Fine-tunes the LoRA parameters (and <see cref="TrainerOptions.ModulesToSave"/>) of a model with AdamW,
/// warm-up and decay, clipping, accumulation, evaluation, early stopping and exactly resumable checkpoints.
/// Every step (and each micro-batch in it) runs in its own dispose scope, so memory stays flat over long runs under
/// the allocator's default settings; with <see cref="TrainerOptions.ReleaseMemoryEvery"/> the C heap's free pages
/// also go back to the system every that many steps.
/// </summary>
public sealed class LoraTrainer
{
    private readonly nn.Module _model;
    private readonly ILoraTrainableModel _task;
    private readonly TrainerOptions _options;
    private readonly AdapterSaveOptions _adapterOptions;
    private readonly ILogger _logger;

    /// <param name="model">A module that implements <see cref="ILoraTrainableModel"/> and has LoRA adapters attached.</param>
    /// <param name="options">Optimisation settings (validated here).</param>
    /// <param name="adapterOptions">How checkpoints write the adapter (its <c>ModulesToSave</c> are taken from <paramref name="options"/>).</param>
    /// <param name="logger">Receives the warning naming trainable layers that belong to no adapter and no ModulesToSave (frozen here).</param>
    public LoraTrainer(nn.Module model, TrainerOptions options, AdapterSaveOptions? adapterOptions = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        _task = model as ILoraTrainableModel ?? throw new ArgumentException(
            $"{model.GetType().Name} must implement {nameof(ILoraTrainableModel)} to be trained.", nameof(model));
        options.Validate();
        _model = model;
        _options = options;
        _adapterOptions = (adapterOptions ?? new AdapterSaveOptions()) with { ModulesToSave = options.ModulesToSave };
        _logger = logger ?? NullLogger.Instance;
        FreezeOutsideAdapters();
    }

    /// <summary>
    /// Trains exactly what an adapter file holds, as PEFT: the LoRA parameters and ModulesToSave. Anything else
    /// still trainable is named in a warning and frozen. Runs when the trainer is created (so a parameter count
    /// logged before training is already right) and again when training starts.
    /// </summary>
    private void FreezeOutsideAdapters()
    {
        if (_model.ActiveLoraAdapters().Count == 0) return; // Train() refuses such a model with its own message
        var strays = ModelFreezing.Strays(_model, _options.ModulesToSave);
        if (strays.Count > 0)
            _logger.LogWarning(
                "{Layers}: trainable, but in no LoRA adapter and not in ModulesToSave, so frozen for training (as PEFT does): they keep " +
                "their base weights and are not written to the adapter. List them in ModulesToSave to train and save them.",
                ModelFreezing.Layers(strays));
        _model.FreezeBase([.. _options.ModulesToSave]);
    }

    /// <summary>
    /// Trains on <paramref name="train"/>, evaluating on <paramref name="validation"/> when given. Cancellation
    /// is honoured at step boundaries: the last checkpoint is written and the result says
    /// <see cref="TrainingOutcome.Cancelled"/>. With <see cref="TrainerOptions.PauseAtStep"/> the run ends there,
    /// <see cref="TrainingOutcome.Paused"/>, and a later call continues it.
    /// </summary>
    public TrainingResult Train(IReadOnlyList<EncodedExample> train, IReadOnlyList<EncodedExample>? validation, int paddingId,
        ITrainingObserver? observer = null, CancellationToken cancellationToken = default)
    {
        if (_options.Threads > 0) torch.set_num_threads(_options.Threads);
        if (_model.ActiveLoraAdapters().Count == 0)
            throw new InvalidOperationException($"{_model.GetType().Name} has no LoRA parameters: attach adapters ([LoRA] or LoraAdapter.Attach) before training.");
        FreezeOutsideAdapters();

        using var run = new TrainingRun(_model, _task, _options, _adapterOptions, train, validation, paddingId, observer ?? new NoObserver());
        run.Start();
        var outcome = run.HadStoppedEarly ? TrainingOutcome.StoppedEarly : TrainingOutcome.Completed;
        while (!run.IsFinished)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                outcome = TrainingOutcome.Cancelled;
                run.SaveLast();
                break;
            }
            run.Step();
            run.ReportProgressIfDue();
            bool evaluated = run.EvaluateIfDue();
            if (evaluated && run.ShouldStopEarly)
            {
                outcome = TrainingOutcome.StoppedEarly;
                run.SaveLast();
                break;
            }
            if (evaluated || run.IsCheckpointDue) run.SaveLast();
        }
        if (outcome == TrainingOutcome.Completed && run.IsPaused) outcome = TrainingOutcome.Paused;
        return run.Finish(outcome);
    }

    private sealed class NoObserver : ITrainingObserver;
}
