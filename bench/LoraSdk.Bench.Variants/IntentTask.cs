using IntentClassifier;
using LoraSdk.Data;
using LoraSdk.Models;
using LoraSdk.Training;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Variants;

/// <summary>
/// samples/IntentClassifier: the pretrained MiniLM encoder (its [LoRA] r = 8, alpha 16 on query/value) with a 6-way head
/// (modules_to_save), the sample's data, schedule and encoding (<see cref="FineTuner"/>), trained by <see cref="LoraTrainer"/>.
/// </summary>
internal sealed class IntentTask : IVariantTask
{
    private readonly BertTextEncoder _text = MiniLmPackage.LoadTextEncoder(maxLength: 64);
    private readonly List<string> _labels;
    private readonly List<EncodedExample> _train;
    private readonly List<EncodedExample> _validation;
    private readonly TrainerOptions _options;
    private readonly Dictionary<Variant, SequenceClassifier> _models = [];

    public IntentTask(int epochs, int threads, long seed)
    {
        string data = Path.Combine(AppContext.BaseDirectory, "data");
        var train = IntentData.Read(Path.Combine(data, "train.jsonl"));
        _labels = train.Select(e => e.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        _train = FineTuner.Encode(train, _text, _labels);
        _validation = FineTuner.Encode(IntentData.Read(Path.Combine(data, "validation.jsonl")), _text, _labels);
        const int batch = 16;
        int totalSteps = (_train.Count + batch - 1) / batch * epochs;
        _options = new TrainerOptions
        {
            Epochs = epochs, BatchSize = batch, LearningRate = FineTuner.LearningRateFor(TrainingMode.Lora), WarmupSteps = totalSteps / 10,
            Decay = LearningRateDecay.Linear, Seed = seed, Threads = threads, LogEvery = totalSteps, ModulesToSave = ["classifier"],
        };
        Budget = $"r = 8, alpha 16 on query/value; {totalSteps} steps ({epochs} epoch(s) × batch {batch}); lr {_options.LearningRate:0.###e+0}, 10 % warm-up, linear decay; seed {seed}";
    }

    public string Name => "IntentClassifier (MiniLM)";

    public string Budget { get; }

    public AccuracyRun Train(Variant variant)
    {
        var adapter = variant.Bind(new LoraOptionsOverride(), typeof(TrainerOptions));
        var options = variant.Bind(_options with { }, typeof(LoraOptionsOverride));
        manual_seed(_options.Seed); // the LoRA A matrices and the head are initialised randomly at construction
        SequenceClassifier model;
        using (LoraOptionsOverride.Apply(adapter))
            model = new SequenceClassifier(MiniLmPackage.LoadEncoder(), _labels.Count);
        _models[variant] = model;
        var result = new LoraTrainer(model, options).Train(_train, validation: null, _text.Tokenizer.PaddingId);
        return new AccuracyRun(FineTuner.Accuracy(model, _text, _validation), result.Steps, result.TrainLoss ?? double.NaN);
    }

    public double SecondsPerStep(Variant variant, int steps)
    {
        var options = variant.Bind(_options with { MaxSteps = steps, WarmupSteps = 0, LogEvery = steps }, typeof(LoraOptionsOverride));
        var result = new LoraTrainer(_models[variant], options).Train(_train, validation: null, _text.Tokenizer.PaddingId);
        return result.Elapsed.TotalSeconds / result.Steps;
    }

    public void Dispose()
    {
        foreach (var model in _models.Values) model.Dispose();
    }
}
