using LoraSdk.Data;
using LoraSdk.Training;

namespace LoraSdk.Hosting;

/// <summary>
/// The <c>LoRA</c> configuration section: appsettings.json, environment (<c>LoRA__Rank=16</c>) or command line
/// (<c>--LoRA:Rank=16</c>). Checked at start-up by <see cref="LoraFineTuningOptionsValidator"/>; relative paths
/// are relative to the host's content root (the working directory unless the program sets another).
/// </summary>
public sealed class LoraFineTuningOptions
{
    public const string SectionName = LoraSdk.Shared.FineTuneContract.Section;

    // The adapter.
    public int Rank { get; set; } = 8;

    /// <summary>
    /// Defaults to <see cref="Rank"/> (scaling 1) in <see cref="LoraModelContext.Lora"/>, as <c>[LoRA]</c> does.
    /// A <c>[LoRA]</c> class keeps its declared alpha unless this key is set (only set keys override it).
    /// </summary>
    public double? Alpha { get; set; }

    public double Dropout { get; set; }
    public bool UseRsLoRA { get; set; }
    public LoraInit Init { get; set; } = LoraInit.Kaiming;

    /// <summary>Modules trained and saved in full (PEFT's <c>modules_to_save</c>), e.g. a classifier head.</summary>
    public string[] ModulesToSave { get; set; } = [];

    /// <summary>Written as <c>base_model_name_or_path</c> in the adapter config.</summary>
    public string? BaseModel { get; set; }

    // The data.
    /// <summary>The training file (.jsonl, .csv or text).</summary>
    public string? Dataset { get; set; }

    /// <summary>A separate validation file; without it <see cref="ValidationSplit"/> of the training file is held out.</summary>
    public string? ValidationDataset { get; set; }

    /// <summary>Fraction held out for validation when no validation file is given; 0 for no validation.</summary>
    public double ValidationSplit { get; set; } = 0.1;

    public DatasetFormat Format { get; set; } = DatasetFormat.Auto;
    public string TextField { get; set; } = "text";

    /// <summary>The label field of classification data.</summary>
    public string LabelField { get; set; } = "label";

    /// <summary>The classification labels in id order; empty to take the sorted labels of the training data.</summary>
    public string[] Labels { get; set; } = [];

    public TextFileMode TextMode { get; set; } = TextFileMode.Lines;

    /// <summary>Tokens per example (longer ones are truncated), or the block length of a text corpus.</summary>
    public int MaxLength { get; set; } = 128;

    public TokenizerKind Tokenizer { get; set; } = TokenizerKind.Byte;

    /// <summary>vocab.txt for <see cref="TokenizerKind.WordPiece"/>.</summary>
    public string? VocabularyFile { get; set; }

    // The output.
    /// <summary>The adapter folder; the loss curve is written next to it as <c>&lt;Output&gt;.loss.svg</c>.</summary>
    public string Output { get; set; } = "lora-adapter";

    /// <summary>Where checkpoints go; default <c>&lt;Output&gt;.checkpoints</c>.</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Continue from the last checkpoint when one exists.</summary>
    public bool Resume { get; set; } = true;

    public ProgressStyle Progress { get; set; } = ProgressStyle.Auto;

    // The optimisation (see TrainerOptions for each).
    public int Epochs { get; set; } = 1;
    public int MaxSteps { get; set; }
    public int BatchSize { get; set; } = 8;
    public int GradientAccumulationSteps { get; set; } = 1;
    public double LearningRate { get; set; } = 1e-3;
    public double WeightDecay { get; set; } = 0.01;
    public int WarmupSteps { get; set; }
    public LearningRateDecay Decay { get; set; } = LearningRateDecay.Cosine;
    public double MaxGradNorm { get; set; } = 1.0;
    public int EvalEvery { get; set; }
    public int LogEvery { get; set; } = 10;
    public int EarlyStoppingPatience { get; set; }
    public double EarlyStoppingMinDelta { get; set; }
    public bool KeepBest { get; set; } = true;
    public long Seed { get; set; } = 42;
    public int Threads { get; set; }
    public int CheckpointEvery { get; set; }

    public string ResolvedCheckpointDirectory => CheckpointDirectory ?? LoraSdk.Shared.FineTuneContract.Beside(Output, LoraSdk.Shared.FineTuneContract.CheckpointSuffix);

    /// <summary>Makes every relative path absolute against <paramref name="root"/>.</summary>
    public void ResolvePaths(string root)
    {
        string? Resolve(string? path) => string.IsNullOrWhiteSpace(path) ? path : Path.GetFullPath(path, root);
        Dataset = Resolve(Dataset);
        ValidationDataset = Resolve(ValidationDataset);
        VocabularyFile = Resolve(VocabularyFile);
        Output = Resolve(Output)!;
        CheckpointDirectory = Resolve(CheckpointDirectory);
    }

    /// <summary>The adapter hyper-parameters for the model's layers.</summary>
    public LoraOptions ToLoraOptions() => new(Rank, Alpha ?? Rank, Dropout, UseRsLoRA, Init);

    public TrainerOptions ToTrainerOptions() => new()
    {
        Epochs = Epochs,
        MaxSteps = MaxSteps,
        BatchSize = BatchSize,
        GradientAccumulationSteps = GradientAccumulationSteps,
        LearningRate = LearningRate,
        WeightDecay = WeightDecay,
        WarmupSteps = WarmupSteps,
        Decay = Decay,
        MaxGradNorm = MaxGradNorm,
        EvalEvery = EvalEvery,
        LogEvery = LogEvery,
        EarlyStoppingPatience = EarlyStoppingPatience,
        EarlyStoppingMinDelta = EarlyStoppingMinDelta,
        KeepBest = KeepBest,
        Seed = Seed,
        Threads = Threads,
        CheckpointDirectory = ResolvedCheckpointDirectory,
        CheckpointEvery = CheckpointEvery,
        Resume = Resume,
        ModulesToSave = ModulesToSave,
    };
}
