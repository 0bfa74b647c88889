using LoraSdk.Data;
using LoraSdk.Shared;
using LoraSdk.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LoraSdk.Hosting;

/// <summary>
/// The <c>LoRA</c> configuration section: appsettings.json, environment (<c>LoRA__Rank=16</c>) or command line
/// (<c>--LoRA:Rank=16</c>). The keys are flat, but each lives in one type: the adapter keys in <see cref="Adapter"/>
/// (a <see cref="LoraOptionsOverride"/>), the optimisation keys in <see cref="Trainer"/> (a <see cref="TrainerOptions"/>),
/// the data and output keys here. Checked at start-up by <see cref="LoraFineTuningOptionsValidator"/>; relative paths
/// are relative to the host's content root (the working directory unless the program sets another). A record, so
/// a variant is one <c>with</c> away: <c>o with { Trainer = o.Trainer with { LearningRate = 3e-4 } }</c>.
/// </summary>
public sealed record LoraFineTuningOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = LoraSdk.Shared.FineTuneContract.Section;

    /// <summary>
    /// <c>Rank</c>, <c>Alpha</c>, <c>Dropout</c>, <c>UseRsLoRA</c>, <c>Init</c>: each null unless set, so this is the
    /// override the host puts in force for <c>[LoRA]</c> classes (only set keys replace what the attributes declare).
    /// </summary>
    public LoraOptionsOverride Adapter { get; set; } = new();

    /// <summary>
    /// <c>Epochs</c>, <c>LearningRate</c>, <c>Seed</c>, <c>ModulesToSave</c>, <c>Resume</c>, … (every
    /// <see cref="TrainerOptions"/> property). <c>CheckpointDirectory</c> unset means <c>&lt;Output&gt;.checkpoints</c>
    /// here (<see cref="ResolvedCheckpointDirectory"/>), not "no checkpoints".
    /// </summary>
    public TrainerOptions Trainer { get; set; } = new();

    // The base model.
    /// <summary>Written as <c>base_model_name_or_path</c> in the adapter config.</summary>
    public string? BaseModel { get; set; }

    /// <summary>
    /// Stores the adapted layers' frozen base weights quantized (<c>Int8</c>, <c>Nf4</c>, <c>Nf4DoubleQuant</c>) or
    /// float (<c>Float32</c>) for this run; unset keeps what <c>[LoRA(Base = …)]</c> declares. See docs/quantization.md.
    /// </summary>
    public LoraBase? BaseQuantization { get; set; }

    // The data.
    /// <summary>The training file (.jsonl, .csv or text).</summary>
    public string? Dataset { get; set; }

    /// <summary>A separate validation file; without it <see cref="ValidationSplit"/> of the training file is held out.</summary>
    public string? ValidationDataset { get; set; }

    /// <summary>Fraction held out for validation when no validation file is given; 0 for no validation.</summary>
    public double ValidationSplit { get; set; } = 0.1;

    /// <summary>The data format; <c>Auto</c> picks it from the extension.</summary>
    public DatasetFormat Format { get; set; } = DatasetFormat.Auto;
    /// <summary>The text field of JSONL data (the column of CSV data).</summary>
    public string TextField { get; set; } = "text";

    /// <summary>The label field of classification data.</summary>
    public string LabelField { get; set; } = "label";

    /// <summary>The classification labels in id order; empty to take the sorted labels of the training data.</summary>
    public string[] Labels { get; set; } = [];

    /// <summary>How plain text is split: one example per line, or one corpus cut into blocks.</summary>
    public TextFileMode TextMode { get; set; } = TextFileMode.Lines;

    /// <summary>Tokens per example (longer ones are truncated), or the block length of a text corpus.</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>Which tokenizer encodes the text.</summary>
    public TokenizerKind Tokenizer { get; set; } = TokenizerKind.Byte;

    /// <summary>vocab.txt for <see cref="TokenizerKind.WordPiece"/>.</summary>
    public string? VocabularyFile { get; set; }

    // The output.
    /// <summary>The adapter folder; the loss curve is written next to it as <c>&lt;Output&gt;.loss.svg</c>.</summary>
    public string Output { get; set; } = "lora-adapter";

    /// <summary>
    /// Also write the adapter for llama.cpp, LLamaSharp and Ollama into the adapter folder once the PEFT adapter is
    /// saved: <c>adapter_model.gguf</c> (the GGUF LoRA adapter), <c>base_model.gguf</c> (the base model it applies to)
    /// and an Ollama <c>Modelfile</c> naming both. Needs an exporter for the model (<see cref="ILoraAdapterExporter"/>;
    /// LoraSdk.Models' <c>AddLoraGgufExport</c> for <c>CausalLM</c>); without one the run is refused before training.
    /// </summary>
    public bool Gguf { get; set; }

    /// <summary>How <c>base_model.gguf</c> stores its 2-D weights: <c>F16</c> (default, as llama.cpp's converter), <c>F32</c> or <c>Q8_0</c>.</summary>
    public string GgufBaseType { get; set; } = LoraSdk.Shared.FineTuneContract.GgufBaseTypes[0];

    /// <summary>How progress is shown; <c>Auto</c> picks live output in a terminal.</summary>
    public ProgressStyle Progress { get; set; } = ProgressStyle.Auto;

    /// <summary>Where checkpoints go: <c>CheckpointDirectory</c> when set, else <c>&lt;Output&gt;.checkpoints</c>.</summary>
    public string ResolvedCheckpointDirectory => Trainer.CheckpointDirectory ?? LoraSdk.Shared.FineTuneContract.Beside(Output, LoraSdk.Shared.FineTuneContract.CheckpointSuffix);

    /// <summary>Makes every relative path absolute against <paramref name="root"/>.</summary>
    public void ResolvePaths(string root)
    {
        string? Resolve(string? path) => string.IsNullOrWhiteSpace(path) ? path : Path.GetFullPath(path, root);
        Dataset = Resolve(Dataset);
        ValidationDataset = Resolve(ValidationDataset);
        VocabularyFile = Resolve(VocabularyFile);
        Output = Resolve(Output)!;
        Trainer = Trainer with { CheckpointDirectory = Resolve(Trainer.CheckpointDirectory) };
    }

    /// <summary>
    /// The adapter hyper-parameters for hand-written models (<see cref="LoraModelContext.Lora"/>): the set keys,
    /// rank 8 when <c>Rank</c> is not set, and alpha = rank (scaling 1) when <c>Alpha</c> is not, as <c>[LoRA]</c> does.
    /// </summary>
    public LoraOptions ToLoraOptions()
    {
        int rank = Adapter.Rank ?? LoraOptionRules.DefaultRank;
        return new LoraOptions(rank, Adapter.Alpha ?? LoraOptionRules.DefaultAlpha(rank), Adapter.Dropout ?? LoraOptionRules.DefaultDropout,
            Adapter.UseRsLoRA ?? LoraOptionRules.DefaultUseRsLoRA, Adapter.Init, useDoRA: Adapter.UseDoRA ?? LoraOptionRules.DefaultUseDoRA);
    }

    /// <summary>The trainer's settings, checkpoints in <see cref="ResolvedCheckpointDirectory"/>.</summary>
    public TrainerOptions ToTrainerOptions() => Trainer with { CheckpointDirectory = ResolvedCheckpointDirectory };

    /// <summary>The keys of the section: the settable properties of this type (but the two parts) and of its parts.</summary>
    internal static IEnumerable<string> Keys { get; } = KeysOf(typeof(LoraFineTuningOptions)).Except([nameof(Adapter), nameof(Trainer)])
        .Concat(KeysOf(typeof(LoraOptionsOverride))).Concat(KeysOf(typeof(TrainerOptions))).ToArray();

    private static IEnumerable<string> KeysOf(Type type) =>
        type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name);

    /// <summary>
    /// Registers the options bound from the flat <c>LoRA</c> section (the same keys fill this object,
    /// <see cref="Adapter"/> and <see cref="Trainer"/>), with relative paths resolved against the content root.
    /// </summary>
    internal static OptionsBuilder<LoraFineTuningOptions> Register(IServiceCollection services) =>
        services.AddOptions<LoraFineTuningOptions>()
            .Configure<IConfiguration>((options, configuration) => options.Bind(configuration.GetSection(SectionName)))
            .PostConfigure<IHostEnvironment>((options, environment) => options.ResolvePaths(environment.ContentRootPath));

    private void Bind(IConfigurationSection section)
    {
        section.Bind(this);
        Adapter = section.Get<LoraOptionsOverride>() ?? new();
        Trainer = section.Get<TrainerOptions>() ?? new();
    }
}
