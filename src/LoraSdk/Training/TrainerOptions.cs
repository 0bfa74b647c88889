namespace LoraSdk.Training;

/// <summary>Optimisation and bookkeeping settings of <see cref="LoraTrainer"/>. Every value is checked by <see cref="Validate"/>.</summary>
public sealed record TrainerOptions
{
    /// <summary>Passes over the training data (ignored when <see cref="MaxSteps"/> &gt; 0).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Optimizer steps to run; 0 means as many as <see cref="Epochs"/> needs.</summary>
    public int MaxSteps { get; init; }

    /// <summary>Examples per micro-batch.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Micro-batches whose gradients are summed before each optimizer step.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Peak AdamW learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>
    /// LoRA+ (Hayou et al. 2024; PEFT's <c>loraplus_lr_ratio</c>): the B matrices train at this many times
    /// <see cref="LearningRate"/>, the A matrices at <see cref="LearningRate"/>. 1 (the default) is plain LoRA, the
    /// optimizer exactly as without it; the paper and PEFT suggest 2–16 (PEFT: set it with a somewhat lower
    /// <see cref="LearningRate"/> than plain LoRA's). Grouped as PEFT's <c>create_loraplus_optimizer</c>: 1-D tensors
    /// (biases and norms of <see cref="ModulesToSave"/>) train at the B rate too, the adapters of Embedding layers at
    /// <see cref="LoraPlusLrEmbedding"/>; the warm-up and decay schedule scales every group alike.
    /// </summary>
    public double LoraPlusLrRatio { get; init; } = 1;

    /// <summary>
    /// With LoRA+ (<see cref="LoraPlusLrRatio"/> ≠ 1): the peak rate of the adapters of Embedding layers
    /// (<c>lora_embedding_A</c> and <c>lora_embedding_B</c>), as PEFT's <c>loraplus_lr_embedding</c>, whose default
    /// 1e-6 it shares. Unused with plain LoRA, where they train at <see cref="LearningRate"/>.
    /// </summary>
    public double LoraPlusLrEmbedding { get; init; } = 1e-6;

    /// <summary>LoRA+ is on: the optimizer has its own groups for B matrices and embedding adapters.</summary>
    internal bool UsesLoraPlus => LoraPlusLrRatio != 1;

    /// <summary>Decoupled weight decay; never applied to biases and normalisation weights (1-D tensors).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>AdamW's first-moment decay.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>AdamW's second-moment decay.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>AdamW's denominator epsilon.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Steps of linear warm-up from 0 to the peak rate.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>How the rate falls after warm-up.</summary>
    public LearningRateDecay Decay { get; init; } = LearningRateDecay.Cosine;

    /// <summary>Global gradient-norm clip; 0 turns clipping off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Evaluate on the validation split every this many steps; 0 means once per epoch.</summary>
    public int EvalEvery { get; init; }

    /// <summary>Report progress every this many steps.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Stop after this many evaluations without improvement of the validation loss; 0 turns it off.</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>The smallest fall of the validation loss that counts as an improvement.</summary>
    public double EarlyStoppingMinDelta { get; init; }

    /// <summary>At the end, put back the parameters of the best evaluation (when there was a validation split).</summary>
    public bool KeepBest { get; init; } = true;

    /// <summary>Seeds dropout and the data order; the same seed and data give a bit-identical adapter on CPU.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Intra-op threads for TorchSharp; 0 leaves the library default.</summary>
    public int Threads { get; init; }

    /// <summary>Where <c>last/</c> and <c>best/</c> checkpoints go; null for no checkpoints.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Also write the last checkpoint every this many steps; 0 only at evaluations, cancellation and the end.</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>
    /// Every this many steps, after the step's tensors are freed, give the C heap's free pages back to the system
    /// (glibc <c>malloc_trim</c>; a no-op elsewhere): keeps the resident set from creeping up as the heap
    /// fragments. 0 (the default) never: measured on the memory benchmark, trimming every 50 steps made steps
    /// 1.2–1.4× slower (the released pages are faulted in again) while RSS stayed flat without it
    /// (docs/benchmarks.md); set it for a long run whose resident set does creep up.
    /// </summary>
    public int ReleaseMemoryEvery { get; init; }

    /// <summary>
    /// Pause the run after this optimizer step (0, the default, or a step at or past the run's end: run to the end).
    /// Everything else is the whole run's: the learning-rate schedule (warm-up and decay over all
    /// <see cref="TotalSteps"/>), the data order and the evaluations, so the paused run is exactly the first steps of
    /// the full one. It writes <c>last/</c>, measures the current parameters on the validation data (without
    /// counting it as an evaluation for <see cref="KeepBest"/> or early stopping) and ends
    /// <see cref="TrainingOutcome.Paused"/>; a later run with a later (or no) pause step continues from the checkpoint
    /// and ends exactly as an uninterrupted run. A checkpoint already past this step is not resumed: the run starts over.
    /// The search trains its trials this way (docs/search.md).
    /// </summary>
    public int PauseAtStep { get; init; }

    /// <summary>Continue from <c>&lt;CheckpointDirectory&gt;/last</c> when it exists.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>Modules trained in full besides the adapters (PEFT's <c>modules_to_save</c>), by dotted path or name.</summary>
    public IReadOnlyList<string> ModulesToSave { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        var problem = Problems().FirstOrDefault();
        if (problem.Name is not null) throw new ArgumentException($"{problem.Name} = {problem.Value} {problem.Rule}.", problem.Name);
    }

    /// <summary>Every invalid setting: its property name, its value and the rule it breaks.</summary>
    public IEnumerable<(string Name, object Value, string Rule)> Problems()
    {
        if (!(Epochs >= 1 || MaxSteps >= 1)) yield return (nameof(Epochs), Epochs, "must be at least 1 (or set MaxSteps)");
        if (!(MaxSteps >= 0)) yield return (nameof(MaxSteps), MaxSteps, "must not be negative");
        if (!(BatchSize >= 1)) yield return (nameof(BatchSize), BatchSize, "must be at least 1");
        if (!(GradientAccumulationSteps >= 1)) yield return (nameof(GradientAccumulationSteps), GradientAccumulationSteps, "must be at least 1");
        if (!(LearningRate > 0 && double.IsFinite(LearningRate))) yield return (nameof(LearningRate), LearningRate, "must be a positive number");
        if (!(LoraPlusLrRatio > 0 && double.IsFinite(LoraPlusLrRatio))) yield return (nameof(LoraPlusLrRatio), LoraPlusLrRatio, "must be a positive number (1 is plain LoRA)");
        if (!(LoraPlusLrEmbedding > 0 && double.IsFinite(LoraPlusLrEmbedding))) yield return (nameof(LoraPlusLrEmbedding), LoraPlusLrEmbedding, "must be a positive number");
        if (!(WeightDecay >= 0 && double.IsFinite(WeightDecay))) yield return (nameof(WeightDecay), WeightDecay, "must not be negative");
        if (!(Beta1 is >= 0 and < 1)) yield return (nameof(Beta1), Beta1, "must be in [0, 1)");
        if (!(Beta2 is >= 0 and < 1)) yield return (nameof(Beta2), Beta2, "must be in [0, 1)");
        if (!(Epsilon > 0)) yield return (nameof(Epsilon), Epsilon, "must be positive");
        if (!(WarmupSteps >= 0)) yield return (nameof(WarmupSteps), WarmupSteps, "must not be negative");
        if (!(MaxGradNorm >= 0)) yield return (nameof(MaxGradNorm), MaxGradNorm, "must not be negative");
        if (!(EvalEvery >= 0)) yield return (nameof(EvalEvery), EvalEvery, "must not be negative");
        if (!(LogEvery >= 1)) yield return (nameof(LogEvery), LogEvery, "must be at least 1");
        if (!(EarlyStoppingPatience >= 0)) yield return (nameof(EarlyStoppingPatience), EarlyStoppingPatience, "must not be negative");
        if (!(EarlyStoppingMinDelta >= 0)) yield return (nameof(EarlyStoppingMinDelta), EarlyStoppingMinDelta, "must not be negative");
        if (!(Threads >= 0)) yield return (nameof(Threads), Threads, "must not be negative");
        if (!(ReleaseMemoryEvery >= 0)) yield return (nameof(ReleaseMemoryEvery), ReleaseMemoryEvery, "must not be negative");
        if (!(CheckpointEvery >= 0)) yield return (nameof(CheckpointEvery), CheckpointEvery, "must not be negative");
        if (!(PauseAtStep >= 0)) yield return (nameof(PauseAtStep), PauseAtStep, "must not be negative");
    }

    /// <summary>
    /// The optimizer steps a run over <paramref name="trainExamples"/> examples takes: <see cref="MaxSteps"/> when set,
    /// else <see cref="Epochs"/> passes of <see cref="BatchSize"/> batches, <see cref="GradientAccumulationSteps"/> per step.
    /// </summary>
    public int TotalSteps(int trainExamples)
    {
        if (MaxSteps > 0) return MaxSteps;
        int batchesPerEpoch = (trainExamples + BatchSize - 1) / BatchSize;
        return (int)Math.Ceiling((double)batchesPerEpoch * Epochs / GradientAccumulationSteps);
    }
}
