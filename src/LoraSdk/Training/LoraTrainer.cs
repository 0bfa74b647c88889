using System.Diagnostics;
using LoraSdk.Data;
using LoraSdk.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
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
    private const string LastCheckpoint = "last";
    private const string BestCheckpoint = "best";

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
        if (_model.LoraAdapters().Count == 0) return; // Train() refuses such a model with its own message
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
    /// <see cref="TrainingOutcome.Cancelled"/>.
    /// </summary>
    public TrainingResult Train(IReadOnlyList<EncodedExample> train, IReadOnlyList<EncodedExample>? validation, int paddingId,
        ITrainingObserver? observer = null, CancellationToken cancellationToken = default)
    {
        observer ??= new NoObserver();
        if (validation is { Count: 0 }) validation = null;
        if (_options.Threads > 0) torch.set_num_threads(_options.Threads);
        if (_model.LoraAdapters().Count == 0)
            throw new InvalidOperationException($"{_model.GetType().Name} has no LoRA parameters: attach adapters ([LoRA] or LoraAdapter.Attach) before training.");
        FreezeOutsideAdapters();
        // A tensor held by two modules (tied weights in ModulesToSave) is one parameter: AdamW must step it once.
        var trainable = _model.named_parameters().Where(p => p.parameter.requires_grad)
            .DistinctBy(p => TensorStorage.Identity(p.parameter)).Select(p => (p.name, p.parameter)).ToList();
        var device = trainable[0].parameter.device;

        var stream = new BatchStream(train, _options.BatchSize, _options.Seed);
        int totalSteps = _options.MaxSteps > 0
            ? _options.MaxSteps
            : (int)Math.Ceiling((double)stream.BatchesPerEpoch * _options.Epochs / _options.GradientAccumulationSteps);
        int stepsPerEpoch = Math.Max(1, stream.BatchesPerEpoch / _options.GradientAccumulationSteps);
        int evalEvery = _options.EvalEvery > 0 ? _options.EvalEvery : stepsPerEpoch;

        var optimizer = CreateOptimizer(trainable);
        using var disposeOptimizer = new DisposeLater(() => optimizer.Dispose());
        var state = new TrainerState
        {
            TotalSteps = totalSteps, Seed = _options.Seed, DataFingerprint = DataFingerprint.Of(train),
            BatchSize = _options.BatchSize, GradientAccumulationSteps = _options.GradientAccumulationSteps,
            BaseStorage = _model.BaseStorageSummary(),
        };
        string? lastDirectory = _options.CheckpointDirectory is null ? null : Path.Combine(_options.CheckpointDirectory, LastCheckpoint);
        string? bestDirectory = _options.CheckpointDirectory is null ? null : Path.Combine(_options.CheckpointDirectory, BestCheckpoint);
        Dictionary<string, Tensor>? bestSnapshot = null;

        bool resumed = false;
        if (_options.Resume && lastDirectory is not null && Checkpoint.Exists(lastDirectory))
        {
            try
            {
                switch (CheckpointInspection.Inspect(lastDirectory, bestDirectory, state, _options, _model))
                {
                    case CheckpointInspection.Resumable ok:
                        Checkpoint.Restore(lastDirectory, _model, optimizer);
                        state = ok.State;
                        if (bestDirectory is not null && Checkpoint.Exists(bestDirectory)) bestSnapshot = SnapshotFrom(bestDirectory, trainable);
                        observer.OnResumed(state.Step, lastDirectory);
                        resumed = true;
                        break;
                    case CheckpointInspection.Foreign foreign:
                        observer.OnCheckpointIgnored(lastDirectory, foreign.Reason);
                        break;
                    case CheckpointInspection.Damaged damaged:
                        throw new CheckpointDamagedException(damaged.File, damaged.Problem);
                }
            }
            catch (CheckpointDamagedException damaged)
            {
                // Nothing of the model was touched; the optimizer may have been, so it starts afresh too.
                optimizer.Dispose();
                optimizer = CreateOptimizer(trainable);
                string keptAs = Checkpoint.SetAside(_options.CheckpointDirectory!);
                observer.OnCheckpointDamaged(damaged.File, damaged.Problem, keptAs);
            }
        }
        if (!resumed)
        {
            torch.manual_seed(_options.Seed);
            if (validation is not null && _task.Task == LoraTask.SequenceClassification)
                state.BaselineValidationAccuracy = Evaluator.Evaluate(_model, _task, validation, _options.BatchSize, paddingId, device).Accuracy;
        }

        void SaveLast()
        {
            if (lastDirectory is null) return;
            Checkpoint.Save(lastDirectory, _model, _adapterOptions, optimizer, state);
            observer.OnCheckpoint(lastDirectory);
        }

        var clock = Stopwatch.StartNew();
        double elapsedBefore = state.ElapsedSeconds;
        var rate = new StepRateWindow(Math.Max(stepsPerEpoch, _options.LogEvery), state.Step, 0);
        var outcome = TrainingOutcome.Completed;
        _model.train();

        while (state.Step < totalSteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                outcome = TrainingOutcome.Cancelled;
                break;
            }

            double learningRate = LearningRateSchedule.At(state.Step, totalSteps, _options.WarmupSteps, _options.LearningRate, _options.Decay);
            double stepLoss = RunStep(stream, state, optimizer, trainable, learningRate, paddingId, device);
            state.Step++;
            if (_options.ReleaseMemoryEvery > 0 && state.Step % _options.ReleaseMemoryEvery == 0) MallocTrim.Release();
            state.LossWindowSum += stepLoss;
            state.LossWindowSteps++;
            state.ElapsedSeconds = elapsedBefore + clock.Elapsed.TotalSeconds;

            bool last = state.Step == totalSteps;
            if (state.Step % _options.LogEvery == 0 || last)
            {
                double meanLoss = state.LossWindowSum / state.LossWindowSteps;
                state.LastReportedLoss = meanLoss;
                state.History.Add(new LossPoint(state.Step, meanLoss, null));
                state.LossWindowSum = 0;
                state.LossWindowSteps = 0;
                double speed = rate.Record(state.Step, clock.Elapsed.TotalSeconds);
                observer.OnStep(new StepProgress(state.Step, totalSteps, (int)stream.EpochOf(state.MicroBatchesSeen - 1) + 1,
                    meanLoss, learningRate, speed, TimeSpan.FromSeconds(state.ElapsedSeconds)));
            }

            bool evaluated = false;
            if (validation is not null && (state.Step % evalEvery == 0 || last))
            {
                evaluated = true;
                var (loss, accuracy) = Evaluator.Evaluate(_model, _task, validation, _options.BatchSize, paddingId, device);
                state.LastValidationLoss = loss;
                state.LastValidationAccuracy = accuracy;
                state.History.Add(new LossPoint(state.Step, null, loss));
                bool isBest = state.BestValidationLoss is null || loss < state.BestValidationLoss - _options.EarlyStoppingMinDelta;
                if (isBest)
                {
                    state.BestValidationLoss = loss;
                    state.BestStep = state.Step;
                    state.EvaluationsWithoutImprovement = 0;
                    DisposeSnapshot(bestSnapshot);
                    bestSnapshot = trainable.ToDictionary(p => p.name, p => p.parameter.detach().clone());
                    if (bestDirectory is not null)
                    {
                        Checkpoint.Save(bestDirectory, _model, _adapterOptions, optimizer, state);
                        observer.OnCheckpoint(bestDirectory);
                    }
                }
                else
                {
                    state.EvaluationsWithoutImprovement++;
                }
                observer.OnEvaluation(new EvaluationResult(state.Step, loss, accuracy, isBest));
                if (_options.EarlyStoppingPatience > 0 && state.EvaluationsWithoutImprovement >= _options.EarlyStoppingPatience && !last)
                {
                    outcome = TrainingOutcome.StoppedEarly;
                    SaveLast();
                    break;
                }
            }

            if (evaluated || last || (_options.CheckpointEvery > 0 && state.Step % _options.CheckpointEvery == 0)) SaveLast();
        }

        if (outcome == TrainingOutcome.Cancelled) SaveLast();

        double? validationLoss = state.LastValidationLoss, validationAccuracy = state.LastValidationAccuracy;
        if (outcome != TrainingOutcome.Cancelled && _options.KeepBest && bestSnapshot is not null && state.BestStep != state.Step)
        {
            RestoreSnapshot(bestSnapshot, trainable);
            (double loss, validationAccuracy) = Evaluator.Evaluate(_model, _task, validation!, _options.BatchSize, paddingId, device);
            validationLoss = loss;
        }
        DisposeSnapshot(bestSnapshot);
        _model.eval();

        return new TrainingResult(outcome, state.Step, totalSteps, state.LastReportedLoss, validationLoss, validationAccuracy,
            state.BaselineValidationAccuracy, _model.CountParameters(), TimeSpan.FromSeconds(state.ElapsedSeconds), state.History);
    }

    /// <summary>One optimizer step over <see cref="TrainerOptions.GradientAccumulationSteps"/> micro-batches; returns its mean loss.</summary>
    private double RunStep(BatchStream stream, TrainerState state, optim.Optimizer optimizer,
        List<(string name, Parameter parameter)> trainable, double learningRate, int paddingId, Device device)
    {
        using var scope = NewDisposeScope();
        int micro = _options.GradientAccumulationSteps;
        double lossSum = 0;
        for (int i = 0; i < micro; i++)
        {
            // Each micro-batch's activations are freed as soon as its backward has run, before the next
            // micro-batch and the optimizer update allocate: a lower peak, and freed blocks that the next
            // allocations reuse.
            using var microScope = NewDisposeScope();
            using var batch = Batch.Collate(stream.At(state.MicroBatchesSeen), paddingId, device);
            state.MicroBatchesSeen++;
            var logits = _task.ComputeLogits(batch.InputIds, batch.AttentionMask);
            var (loss, _) = TaskLoss.Compute(_task.Task, logits, batch);
            lossSum += loss.item<float>();
            (micro == 1 ? loss : loss / micro).backward();
        }
        if (_options.MaxGradNorm > 0)
            nn.utils.clip_grad_norm_(trainable.Select(p => p.parameter), _options.MaxGradNorm);
        foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
        optimizer.step();
        optimizer.zero_grad();
        return lossSum / micro;
    }

    /// <summary>AdamW with two groups: decay for matrices, none for biases and normalisation weights (1-D).</summary>
    private optim.Optimizer CreateOptimizer(List<(string name, Parameter parameter)> trainable)
    {
        static bool NoDecay((string name, Parameter parameter) p) =>
            p.parameter.dim() < 2 || p.name.EndsWith(".bias", StringComparison.Ordinal) || p.name == "bias";
        var groups = new List<AdamW.ParamGroup>();
        var decayed = trainable.Where(p => !NoDecay(p)).Select(p => p.parameter).ToList();
        var plain = trainable.Where(NoDecay).Select(p => p.parameter).ToList();
        if (decayed.Count > 0)
            groups.Add(new AdamW.ParamGroup(decayed, _options.LearningRate, _options.Beta1, _options.Beta2, _options.Epsilon, _options.WeightDecay, false, false));
        if (plain.Count > 0)
            groups.Add(new AdamW.ParamGroup(plain, _options.LearningRate, _options.Beta1, _options.Beta2, _options.Epsilon, 0, false, false));
        return optim.AdamW(groups, _options.LearningRate, _options.Beta1, _options.Beta2, _options.Epsilon, _options.WeightDecay);
    }

    private Dictionary<string, Tensor> SnapshotFrom(string directory, List<(string name, Parameter parameter)> trainable)
    {
        var current = trainable.ToDictionary(p => p.name, p => p.parameter.detach().clone());
        Checkpoint.LoadParameters(directory, _model);
        var best = trainable.ToDictionary(p => p.name, p => p.parameter.detach().clone());
        RestoreSnapshot(current, trainable);
        DisposeSnapshot(current);
        return best;
    }

    private static void RestoreSnapshot(Dictionary<string, Tensor> snapshot, List<(string name, Parameter parameter)> trainable)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in trainable) parameter.copy_(snapshot[name]);
    }

    private static void DisposeSnapshot(Dictionary<string, Tensor>? snapshot)
    {
        if (snapshot is null) return;
        foreach (var tensor in snapshot.Values) tensor.Dispose();
    }

    private sealed class NoObserver : ITrainingObserver;

    private sealed class DisposeLater(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
