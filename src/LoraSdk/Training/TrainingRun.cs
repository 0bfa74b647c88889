using System.Diagnostics;
using LoraSdk.Data;
using LoraSdk.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Training;

/// <summary>
/// One call of <see cref="LoraTrainer.Train"/>: the optimizer, the <see cref="TrainerState"/> and the bookkeeping
/// around them, with each part of the loop (resume, step, progress, evaluation, checkpoint, finish) as a method,
/// so that <see cref="LoraTrainer.Train"/> reads as the loop itself.
/// </summary>
internal sealed class TrainingRun : IDisposable
{
    private const string LastCheckpoint = "last";
    private const string BestCheckpoint = "best";

    private readonly nn.Module _model;
    private readonly ILoraTrainableModel _task;
    private readonly TrainerOptions _options;
    private readonly AdapterSaveOptions _adapterOptions;
    private readonly ITrainingObserver _observer;
    private readonly IReadOnlyList<EncodedExample>? _validation;
    private readonly int _paddingId;
    private readonly Device _device;
    private readonly List<(string name, Parameter parameter)> _trainable;
    private readonly IReadOnlyList<ParameterGroups.Group> _groups;
    private readonly BatchStream _stream;
    private readonly int _stepsPerEpoch;
    private readonly int _evalEvery;
    private readonly int _pauseAt; // the step the loop ends at: TotalSteps, or an earlier PauseAtStep
    private readonly string? _lastDirectory;
    private readonly string? _bestDirectory;
    private readonly Stopwatch _clock = new();

    private optim.Optimizer _optimizer;
    private TrainerState _state;
    private ParameterSnapshot? _best;
    private StepRateWindow? _rate;
    private double _elapsedBefore;
    private double _learningRate;

    /// <summary>Sets up a fresh run (optimizer, data order, step count); a <paramref name="validation"/> that is null or empty means no evaluation.</summary>
    public TrainingRun(nn.Module model, ILoraTrainableModel task, TrainerOptions options, AdapterSaveOptions adapterOptions,
        IReadOnlyList<EncodedExample> train, IReadOnlyList<EncodedExample>? validation, int paddingId, ITrainingObserver observer)
    {
        _model = model;
        _task = task;
        _options = options;
        _adapterOptions = adapterOptions;
        _observer = observer;
        _validation = validation is { Count: 0 } ? null : validation;
        _paddingId = paddingId;

        // A tensor held by two modules (tied weights in ModulesToSave) is one parameter: AdamW must step it once.
        _trainable = model.named_parameters().Where(p => p.parameter.requires_grad)
            .DistinctBy(p => TensorStorage.Identity(p.parameter)).Select(p => (p.name, p.parameter)).ToList();
        _device = _trainable[0].parameter.device;
        _groups = ParameterGroups.Of(model, _trainable, options);

        _stream = new BatchStream(train, options.BatchSize, options.Seed);
        int totalSteps = options.TotalSteps(train.Count);
        _stepsPerEpoch = Math.Max(1, _stream.BatchesPerEpoch / options.GradientAccumulationSteps);
        _evalEvery = options.EvalEvery > 0 ? options.EvalEvery : _stepsPerEpoch;
        _pauseAt = options.PauseAtStep > 0 && options.PauseAtStep < totalSteps ? options.PauseAtStep : totalSteps;
        _lastDirectory = options.CheckpointDirectory is null ? null : Path.Combine(options.CheckpointDirectory, LastCheckpoint);
        _bestDirectory = options.CheckpointDirectory is null ? null : Path.Combine(options.CheckpointDirectory, BestCheckpoint);

        _optimizer = CreateOptimizer();
        _state = new TrainerState
        {
            TotalSteps = totalSteps, Seed = options.Seed, DataFingerprint = DataFingerprint.Of(train),
            BatchSize = options.BatchSize, GradientAccumulationSteps = options.GradientAccumulationSteps,
            BaseStorage = model.BaseStorageSummary(), LoraPlusLrRatio = options.LoraPlusLrRatio,
        };
    }

    /// <summary>The schedule's end or the pause step is reached, or the resumed run had already stopped early.</summary>
    public bool IsFinished => _state.Step >= _pauseAt || HadStoppedEarly;

    /// <summary>At the pause step (<see cref="TrainerOptions.PauseAtStep"/>), before the schedule's end.</summary>
    public bool IsPaused => _state.Step == _pauseAt && _pauseAt < _state.TotalSteps;

    /// <summary>The checkpoint resumed was written when early stopping ended its run: continuing would train past where it ended.</summary>
    public bool HadStoppedEarly { get; private set; }

    private bool IsLastStep => _state.Step == _state.TotalSteps;

    /// <summary>Continues from the last checkpoint when it fits this run; otherwise starts afresh (seeded, baseline measured).</summary>
    public void Start()
    {
        if (!TryResume())
        {
            torch.manual_seed(_options.Seed);
            if (_validation is not null && _task.Task == LoraTask.SequenceClassification)
                _state.BaselineValidationAccuracy = Evaluate().Accuracy;
        }
        _elapsedBefore = _state.ElapsedSeconds;
        _rate = new StepRateWindow(Math.Max(_stepsPerEpoch, _options.LogEvery), _state.Step, 0);
        _clock.Start();
        _model.train();
    }

    private bool TryResume()
    {
        if (!_options.Resume || _lastDirectory is null || !Checkpoint.Exists(_lastDirectory)) return false;
        try
        {
            switch (CheckpointInspection.Inspect(_lastDirectory, _bestDirectory, _state, _options, _model))
            {
                case CheckpointInspection.Resumable ok:
                    Checkpoint.Restore(_lastDirectory, _model, _optimizer);
                    _state = ok.State;
                    HadStoppedEarly = _options.EarlyStoppingPatience > 0 && _state.EvaluationsWithoutImprovement >= _options.EarlyStoppingPatience && !IsLastStep;
                    if (_bestDirectory is not null && Checkpoint.Exists(_bestDirectory)) _best = ParameterSnapshot.From(_bestDirectory, _model, _trainable);
                    _observer.OnResumed(_state.Step, _lastDirectory);
                    return true;
                case CheckpointInspection.Foreign foreign:
                    _observer.OnCheckpointIgnored(_lastDirectory, foreign.Reason);
                    return false;
                case CheckpointInspection.Damaged damaged:
                    throw new CheckpointDamagedException(damaged.File, damaged.Problem);
            }
        }
        catch (CheckpointDamagedException damaged)
        {
            // Nothing of the model was touched; the optimizer may have been, so it starts afresh too.
            _optimizer.Dispose();
            _optimizer = CreateOptimizer();
            string keptAs = Checkpoint.SetAside(_options.CheckpointDirectory!);
            _observer.OnCheckpointDamaged(damaged.File, damaged.Problem, keptAs);
        }
        return false;
    }

    /// <summary>
    /// One optimizer step over <see cref="TrainerOptions.GradientAccumulationSteps"/> micro-batches, its mean loss
    /// added to the logging window.
    /// </summary>
    public void Step()
    {
        _learningRate = LearningRateSchedule.At(_state.Step, _state.TotalSteps, _options.WarmupSteps, _options.LearningRate, _options.Decay);
        double stepLoss = RunMicroBatches();
        _state.Step++;
        if (_options.ReleaseMemoryEvery > 0 && _state.Step % _options.ReleaseMemoryEvery == 0) MallocTrim.Release();
        _state.LossWindowSum += stepLoss;
        _state.LossWindowSteps++;
        _state.ElapsedSeconds = _elapsedBefore + _clock.Elapsed.TotalSeconds;
    }

    private double RunMicroBatches()
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
            using var batch = Batch.Collate(_stream.At(_state.MicroBatchesSeen), _paddingId, _device);
            _state.MicroBatchesSeen++;
            var logits = _task.ComputeLogits(batch.InputIds, batch.AttentionMask);
            var (loss, _) = TaskLoss.Compute(_task.Task, logits, batch);
            lossSum += loss.item<float>();
            (micro == 1 ? loss : loss / micro).backward();
        }
        if (_options.MaxGradNorm > 0)
            nn.utils.clip_grad_norm_(_trainable.Select(p => p.parameter), _options.MaxGradNorm);
        // Each group follows the schedule from its own peak (LoRA+: B at ratio × the rate), in the groups' order.
        foreach (var (group, rate) in _optimizer.ParamGroups.Zip(_groups))
            group.LearningRate = rate.Rate == ParameterGroups.Rate.Base ? _learningRate
                : LearningRateSchedule.At(_state.Step, _state.TotalSteps, _options.WarmupSteps, rate.PeakRate(_options), _options.Decay);
        _optimizer.step();
        _optimizer.zero_grad();
        return lossSum / micro;
    }

    /// <summary>Every <see cref="TrainerOptions.LogEvery"/> steps and at the last: the window's mean loss to the history and the observer.</summary>
    public void ReportProgressIfDue()
    {
        if (_state.Step % _options.LogEvery != 0 && !IsLastStep) return;
        double meanLoss = _state.LossWindowSum / _state.LossWindowSteps;
        _state.LastReportedLoss = meanLoss;
        _state.History.Add(new LossPoint(_state.Step, meanLoss, null));
        _state.LossWindowSum = 0;
        _state.LossWindowSteps = 0;
        double speed = _rate!.Record(_state.Step, _clock.Elapsed.TotalSeconds);
        _observer.OnStep(new StepProgress(_state.Step, _state.TotalSteps, (int)_stream.EpochOf(_state.MicroBatchesSeen - 1) + 1,
            meanLoss, _learningRate, speed, TimeSpan.FromSeconds(_state.ElapsedSeconds)));
    }

    /// <summary>
    /// Every <c>EvalEvery</c> steps (once per epoch by default) and at the last, when there is validation data:
    /// evaluates, and on a new best loss keeps a snapshot and writes <c>best/</c>. Returns whether it evaluated.
    /// </summary>
    public bool EvaluateIfDue()
    {
        if (_validation is null || (_state.Step % _evalEvery != 0 && !IsLastStep)) return false;
        var (loss, accuracy) = Evaluate();
        _state.LastValidationLoss = loss;
        _state.LastValidationAccuracy = accuracy;
        _state.History.Add(new LossPoint(_state.Step, null, loss));
        bool isBest = _state.BestValidationLoss is null || loss < _state.BestValidationLoss - _options.EarlyStoppingMinDelta;
        if (isBest)
        {
            _state.BestValidationLoss = loss;
            _state.BestStep = _state.Step;
            _state.EvaluationsWithoutImprovement = 0;
            _best?.Dispose();
            _best = ParameterSnapshot.Take(_trainable);
            if (_bestDirectory is not null) Save(_bestDirectory);
        }
        else
        {
            _state.EvaluationsWithoutImprovement++;
        }
        _observer.OnEvaluation(new EvaluationResult(_state.Step, loss, accuracy, isBest));
        return true;
    }

    /// <summary>After an evaluation: <see cref="TrainerOptions.EarlyStoppingPatience"/> evaluations without improvement, before the last step.</summary>
    public bool ShouldStopEarly =>
        _options.EarlyStoppingPatience > 0 && _state.EvaluationsWithoutImprovement >= _options.EarlyStoppingPatience && !IsLastStep;

    /// <summary>The last step, and every <see cref="TrainerOptions.CheckpointEvery"/> steps (evaluations write one too).</summary>
    public bool IsCheckpointDue => IsLastStep || IsPaused || (_options.CheckpointEvery > 0 && _state.Step % _options.CheckpointEvery == 0);

    /// <summary>Writes <c>last/</c> (when the run has a checkpoint folder).</summary>
    public void SaveLast()
    {
        if (_lastDirectory is not null) Save(_lastDirectory);
    }

    private void Save(string directory)
    {
        Checkpoint.Save(directory, _model, _adapterOptions, _optimizer, _state);
        _observer.OnCheckpoint(directory);
    }

    /// <summary>
    /// Puts back the best evaluation's parameters (<see cref="TrainerOptions.KeepBest"/>, unless cancelled, paused or
    /// the last evaluation was the best) and returns the result, the model left in eval mode. A paused run reports
    /// its current parameters, measured now unless an evaluation just did.
    /// </summary>
    public TrainingResult Finish(TrainingOutcome outcome)
    {
        double? validationLoss = _state.LastValidationLoss, validationAccuracy = _state.LastValidationAccuracy;
        if (outcome == TrainingOutcome.Paused)
        {
            // Not an evaluation of the run (no history point, no best, no early stopping): what the full run
            // has reached at this step, so a continued run stays identical to an uninterrupted one.
            if (_validation is not null && !_state.History.Any(p => p.Step == _state.Step && p.ValidationLoss is not null))
                (validationLoss, validationAccuracy) = Evaluate();
        }
        else if (outcome != TrainingOutcome.Cancelled && _options.KeepBest && _best is not null && _state.BestStep != _state.Step)
        {
            _best.Restore();
            (double loss, validationAccuracy) = Evaluate();
            validationLoss = loss;
        }
        _best?.Dispose();
        _best = null;
        _model.eval();

        return new TrainingResult(outcome, _state.Step, _state.TotalSteps, _state.LastReportedLoss, validationLoss, validationAccuracy,
            _state.BaselineValidationAccuracy, _model.CountParameters(), TimeSpan.FromSeconds(_state.ElapsedSeconds), _state.History);
    }

    private (double Loss, double? Accuracy) Evaluate() =>
        Evaluator.Evaluate(_model, _task, _validation!, _options.BatchSize, _paddingId, _device);

    /// <summary>AdamW over <see cref="ParameterGroups"/>: two groups for plain LoRA, the LoRA+ groups otherwise.</summary>
    private optim.Optimizer CreateOptimizer() => ParameterGroups.AdamW(_groups, _options);

    public void Dispose()
    {
        _best?.Dispose();
        _optimizer.Dispose();
    }
}
