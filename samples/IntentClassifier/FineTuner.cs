using System.Diagnostics;
using LoraSdk;
using LoraSdk.Models;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace IntentClassifier;

/// <summary>Settings shared by the three modes; the learning rate is per mode (see <see cref="LearningRateFor"/>).</summary>
public sealed record FineTuneSettings(int Epochs = 10, int BatchSize = 16, int MaxLength = 64, long Seed = 7, int Threads = 2);

/// <summary>
/// Trains a <see cref="SequenceClassifier"/> on the pretrained MiniLM encoder in one <see cref="TrainingMode"/> with
/// AdamW (linear warm-up over the first 10 % of steps, then linear decay; gradient clipping at 1), then
/// measures validation accuracy and writes the trained weights that mode needs to keep.
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
        var clock = Stopwatch.StartNew();
        torch.set_num_threads(settings.Threads);
        torch.manual_seed(settings.Seed);
        var labels = train.Select(e => e.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        var text = MiniLmPackage.LoadTextEncoder(settings.MaxLength);
        var trainSet = Encode(train, text, labels);
        var validationSet = Encode(validation, text, labels);

        using var model = new SequenceClassifier(MiniLmPackage.LoadEncoder(), labels.Count);
        using var adaptersOff = SelectTrainable(model, mode);
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        long modelParameters = model.BaseParameters().Values.Sum(w => w.numel());

        var optimizer = optim.AdamW(trainable, LearningRateFor(mode), weight_decay: 0.01);
        int stepsPerEpoch = (trainSet.Count + settings.BatchSize - 1) / settings.BatchSize;
        int totalSteps = stepsPerEpoch * settings.Epochs;
        var random = new Random((int)settings.Seed);
        var stepTimes = new List<double>();
        model.train();
        for (int epoch = 0, step = 0; epoch < settings.Epochs; epoch++)
        {
            var order = Enumerable.Range(0, trainSet.Count).OrderBy(_ => random.Next()).ToList();
            for (int start = 0; start < order.Count; start += settings.BatchSize, step++)
            {
                var rows = order.Skip(start).Take(settings.BatchSize).Select(i => trainSet[i]).ToList();
                var stepClock = Stopwatch.StartNew();
                SetLearningRate(optimizer, LearningRateFor(mode) * Schedule(step, totalSteps));
                TrainStep(model, optimizer, trainable, text, rows);
                stepTimes.Add(stepClock.Elapsed.TotalMilliseconds);
            }
        }

        double accuracy = Accuracy(model, text, validationSet);
        var (savedBytes, savedWhat) = SaveTrainedWeights(model, mode, outputDirectory);
        return new RunResult(mode.ToString(), accuracy, trainable.Sum(p => p.numel()), modelParameters,
            stepTimes.Skip(1).Average(), stepTimes.Count, ProcessMemory.PeakRssBytes(), savedBytes, savedWhat,
            clock.Elapsed.TotalSeconds);
    }

    /// <summary>Freezes what the mode does not train; returns the switch that keeps adapters off for probe and full runs.</summary>
    private static IDisposable SelectTrainable(SequenceClassifier model, TrainingMode mode)
    {
        if (mode == TrainingMode.Lora)
        {
            model.FreezeBase("classifier");
            return new NoOp();
        }
        var off = model.DisableLoRA();
        var basePaths = model.BaseParameters().Keys.ToHashSet();
        foreach (var (name, parameter) in model.named_parameters())
            parameter.requires_grad = basePaths.Contains(name) && (mode == TrainingMode.Full || name.StartsWith("classifier.", StringComparison.Ordinal));
        return off;
    }

    private static void TrainStep(SequenceClassifier model, optim.Optimizer optimizer, IList<TorchSharp.Modules.Parameter> trainable,
        BertTextEncoder text, IReadOnlyList<(int[] Ids, long Label)> rows)
    {
        using var scope = NewDisposeScope();
        using var batch = text.Pad(rows.Select(r => r.Ids).ToList());
        var targets = tensor(rows.Select(r => r.Label).ToArray());
        var logits = model.call(batch.InputIds, batch.AttentionMask);
        var loss = nn.functional.cross_entropy(logits, targets);
        optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(trainable, 1.0);
        optimizer.step();
    }

    private static double Accuracy(SequenceClassifier model, BertTextEncoder text, IReadOnlyList<(int[] Ids, long Label)> examples)
    {
        model.eval();
        using var _ = no_grad();
        int correct = 0;
        foreach (var chunk in examples.Chunk(32))
        {
            using var scope = NewDisposeScope();
            using var batch = text.Pad(chunk.Select(r => r.Ids).ToList());
            var predicted = model.call(batch.InputIds, batch.AttentionMask).argmax(1).data<long>().ToArray();
            correct += predicted.Zip(chunk, (p, r) => p == r.Label ? 1 : 0).Sum();
        }
        return (double)correct / examples.Count;
    }

    /// <summary>Linear warm-up over the first 10 % of steps, then linear decay to 0.</summary>
    private static double Schedule(int step, int totalSteps)
    {
        int warmup = Math.Max(1, totalSteps / 10);
        return step < warmup ? (step + 1.0) / warmup : Math.Max(0.0, (totalSteps - step) / (double)(totalSteps - warmup));
    }

    private static void SetLearningRate(optim.Optimizer optimizer, double rate)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = rate;
    }

    /// <summary>
    /// What a user must keep after training, as safetensors: the head for a probe, the LoRA tensors plus the head
    /// for LoRA, every weight for full fine-tuning.
    /// </summary>
    private static (long Bytes, string What) SaveTrainedWeights(SequenceClassifier model, TrainingMode mode, string directory)
    {
        Directory.CreateDirectory(directory);
        var all = model.BaseParameters();
        var head = all.Where(w => w.Key.StartsWith("classifier.", StringComparison.Ordinal));
        var kept = mode switch
        {
            TrainingMode.Probe => head,
            TrainingMode.Lora => head.Concat(model.LoraParameters().Select(p => KeyValuePair.Create(p.Name, p.Parameter))),
            _ => all,
        };
        var path = Path.Combine(directory, $"{mode.ToString().ToLowerInvariant()}.safetensors");
        using (var stream = File.Create(path))
            Safetensors.SaveStateDict(stream, kept.ToDictionary(w => w.Key, w => w.Value.detach()));
        string what = mode switch
        {
            TrainingMode.Probe => "head",
            TrainingMode.Lora => "LoRA A/B + head",
            _ => "all weights",
        };
        return (new FileInfo(path).Length, what);
    }

    private static List<(int[] Ids, long Label)> Encode(IReadOnlyList<IntentExample> examples, BertTextEncoder text, List<string> labels) =>
        examples.Select(e =>
        {
            int label = labels.IndexOf(e.Label);
            if (label < 0) throw new InvalidDataException($"Validation label '{e.Label}' does not occur in the training data.");
            return (text.Encode(e.Text), (long)label);
        }).ToList();

    private sealed class NoOp : IDisposable
    {
        public void Dispose() { }
    }
}
