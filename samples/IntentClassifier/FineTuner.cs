using LoraSdk;
using LoraSdk.Data;
using LoraSdk.Models;
using LoraSdk.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace IntentClassifier;

/// <summary>Settings shared by the three modes; the learning rate is per mode (see <see cref="FineTuner.LearningRateFor"/>).</summary>
/// <param name="Base">How the adapted layers' frozen base weights are stored in LoRA mode (<c>--base nf4</c>: a QLoRA-style 4-bit base).</param>
public sealed record FineTuneSettings(int Epochs = 3, int BatchSize = 16, int MaxLength = 64, long Seed = 7, int Threads = 2,
    LoraBase Base = LoraBase.Float32);

/// <summary>
/// Trains a <see cref="SequenceClassifier"/> on the pretrained MiniLM encoder in one <see cref="TrainingMode"/> with the
/// SDK's <see cref="LoraTrainer"/> (AdamW, 10 % linear warm-up then linear decay, gradient clipping at 1), then
/// measures validation accuracy and writes what that mode must keep.
/// </summary>
public static class FineTuner
{
    public static double LearningRateFor(TrainingMode mode) => mode switch
    {
        TrainingMode.Probe => 1e-2,
        TrainingMode.Lora => 1e-3,
        _ => 5e-5,
    };

    public static RunResult Run(TrainingMode mode, FineTuneSettings settings, IReadOnlyList<IntentExample> train,
        IReadOnlyList<IntentExample> validation, string outputDirectory)
    {
        var labels = train.Select(e => e.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        var text = MiniLmPackage.LoadTextEncoder(settings.MaxLength);
        var trainSet = Encode(train, text, labels);
        var validationSet = Encode(validation, text, labels);

        // Seeded before construction: the LoRA A matrices and the head are initialised randomly there.
        torch.manual_seed(settings.Seed);
        using var model = new SequenceClassifier(MiniLmPackage.LoadEncoder(), labels.Count);
        // Probe and full runs switch the adapters off, so only the head or the base weights affect the loss.
        using var adaptersOff = mode == TrainingMode.Lora ? null : model.DisableLoRA();
        if (mode == TrainingMode.Lora && settings.Base != LoraBase.Float32) model.QuantizeBase(settings.Base, "classifier");
        var (baseBytes, baseFloat32Bytes) = model.BaseWeightBytes();
        // Loading (ONNX parse + float weights) has its own peak; the training peak is measured from here on.
        long loadingPeak = ProcessMemory.PeakRssBytes();
        ProcessMemory.ResetPeak();
        int totalSteps = (trainSet.Count + settings.BatchSize - 1) / settings.BatchSize * settings.Epochs;
        var options = new TrainerOptions
        {
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = LearningRateFor(mode),
            WarmupSteps = totalSteps / 10,
            Decay = LearningRateDecay.Linear,
            Seed = settings.Seed,
            Threads = settings.Threads,
            LogEvery = totalSteps,
            ModulesToSave = mode == TrainingMode.Full ? ["bert", "classifier"] : ["classifier"],
        };
        // Validation is held out of the trainer (no early stopping or best-epoch choice on it), so its
        // elapsed time is training steps only; accuracy is measured once, after training.
        var result = new LoraTrainer(model, options).Train(trainSet, validation: null, text.Tokenizer.PaddingId);

        long trainingPeak = ProcessMemory.PeakRssBytes();
        double accuracy = Accuracy(model, text, validationSet);
        var (savedBytes, savedWhat) = SaveTrainedWeights(model, mode, outputDirectory);
        return new RunResult(mode == TrainingMode.Lora && settings.Base != LoraBase.Float32 ? $"{mode} ({settings.Base} base)" : mode.ToString(), accuracy, TrainedParameters(model, mode), ModelParameters(model),
            result.Elapsed.TotalMilliseconds / result.Steps, result.Steps, Math.Max(loadingPeak, ProcessMemory.PeakRssBytes()), savedBytes, savedWhat,
            result.Elapsed.TotalSeconds, trainingPeak, baseBytes, baseFloat32Bytes);
    }

    /// <summary>Every weight of the model; a quantized base weight counts as the elements it stands for.</summary>
    private static long ModelParameters(SequenceClassifier model) =>
        model.BaseParameters().Values.Sum(w => w.numel()) + model.ActiveLoraAdapters().Sum(a => a.Adapter.QuantizedBase?.LogicalCount ?? 0);

    /// <summary>Parameters that the mode changes (the trainer also hands disabled adapters to AdamW; they get no gradient).</summary>
    private static long TrainedParameters(SequenceClassifier model, TrainingMode mode)
    {
        long head = model.Head.parameters().Sum(p => p.numel());
        return mode switch
        {
            TrainingMode.Probe => head,
            TrainingMode.Lora => head + model.LoraParameters().Sum(p => p.Parameter.numel()),
            _ => model.BaseParameters().Values.Sum(p => p.numel()),
        };
    }

    public static double Accuracy(SequenceClassifier model, BertTextEncoder text, IReadOnlyList<EncodedExample> examples)
    {
        model.eval();
        using var _ = no_grad();
        int correct = 0;
        foreach (var chunk in examples.Chunk(32))
        {
            using var scope = NewDisposeScope();
            using var batch = text.Pad(chunk.Select(e => e.TokenIds).ToList());
            var predicted = model.call(batch.InputIds, batch.AttentionMask).argmax(1).data<long>().ToArray();
            correct += predicted.Zip(chunk, (p, e) => p == e.Label ? 1 : 0).Sum();
        }
        return (double)correct / examples.Count;
    }

    /// <summary>
    /// What a user keeps after training: the head (safetensors) for a probe, the PEFT adapter folder (LoRA A/B plus
    /// the head as modules_to_save) for LoRA, every weight (safetensors) for full fine-tuning.
    /// </summary>
    private static (long Bytes, string What) SaveTrainedWeights(SequenceClassifier model, TrainingMode mode, string directory)
    {
        Directory.CreateDirectory(directory);
        if (mode == TrainingMode.Lora)
        {
            var adapter = Path.Combine(directory, "lora-adapter");
            model.SaveAdapter(adapter, new AdapterSaveOptions { ModulesToSave = ["classifier"], BaseModelNameOrPath = "sentence-transformers/all-MiniLM-L6-v2" });
            return (new DirectoryInfo(adapter).EnumerateFiles().Sum(f => f.Length), "PEFT adapter: LoRA A/B + head");
        }
        var weights = model.BaseParameters();
        var kept = mode == TrainingMode.Probe ? weights.Where(w => w.Key.StartsWith("classifier.", StringComparison.Ordinal)) : weights;
        var path = Path.Combine(directory, $"{mode.ToString().ToLowerInvariant()}.safetensors");
        using (var stream = File.Create(path))
            Safetensors.SaveStateDict(stream, kept.ToDictionary(w => w.Key, w => w.Value.detach()));
        return (new FileInfo(path).Length, mode == TrainingMode.Probe ? "head" : "all weights");
    }

    public static List<EncodedExample> Encode(IReadOnlyList<IntentExample> examples, BertTextEncoder text, List<string> labels) =>
        examples.Select(e =>
        {
            int label = labels.IndexOf(e.Label);
            if (label < 0) throw new InvalidDataException($"Validation label '{e.Label}' does not occur in the training data.");
            return new EncodedExample(text.Encode(e.Text), label);
        }).ToList();
}
