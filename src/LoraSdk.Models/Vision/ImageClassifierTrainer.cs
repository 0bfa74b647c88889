using System.Diagnostics;
using LoraSdk.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Fine-tunes a <see cref="ResNet18"/> on <see cref="LabeledImages"/>: every parameter with
/// <c>requires_grad</c> is trained (LoRA adapters and the head after construction; call <c>FreezeBase</c>,
/// <c>DisableLoRA</c> or set <c>requires_grad</c> for a linear probe or full fine-tuning), with cross-entropy,
/// AdamW, warm-up + cosine decay, gradient clipping and batches shuffled from <see cref="ImageTrainingOptions.Seed"/>.
/// A non-finite loss or gradient stops training with an error naming the step (and the first parameter whose
/// gradient is not finite), before the update, rather than writing a broken adapter.
/// </summary>
public static class ImageClassifierTrainer
{
    /// <summary>Trains <paramref name="model"/>'s trainable parameters on <paramref name="train"/>; accuracy on <paramref name="validation"/> at the end when given.</summary>
    public static ImageTrainingResult Train(ResNet18 model, ResNetPreprocessing preprocessing, LabeledImages train,
        LabeledImages? validation, ImageTrainingOptions options, Action<string>? log = null)
    {
        var named = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        var parameters = named.Select(p => p.parameter).ToList();
        if (parameters.Count == 0) throw new InvalidOperationException("The model has no trainable parameters.");
        int stepsPerEpoch = (int)((train.Count + options.BatchSize - 1) / options.BatchSize);
        int totalSteps = stepsPerEpoch * options.Epochs;
        if (!(options.LoraPlusLrRatio > 0 && double.IsFinite(options.LoraPlusLrRatio)))
            throw new ArgumentException($"LoraPlusLrRatio = {options.LoraPlusLrRatio} must be a positive number (1 is plain LoRA).", nameof(options));
        // Plain LoRA keeps its one group (every tensor decayed); LoRA+ takes the text trainer's groups, each with its peak.
        (IReadOnlyList<ParameterGroups.Group> Groups, TrainerOptions Trainer)? loraPlus = options.LoraPlusLrRatio == 1 ? null : LoraPlusGroups(model, named, options);
        using var optimizer = loraPlus is null
            ? optim.AdamW(parameters, options.LearningRate, weight_decay: options.WeightDecay)
            : ParameterGroups.AdamW(loraPlus.Value.Groups, loraPlus.Value.Trainer);
        var random = new Random((int)options.Seed);
        var losses = new List<double>();
        var stepSeconds = new List<double>();
        double windowLoss = 0;
        int step = 0;

        model.train();
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            var order = Enumerable.Range(0, (int)train.Count).OrderBy(_ => random.Next()).Select(i => (long)i).ToArray();
            for (int start = 0; start < order.Length; start += options.BatchSize)
            {
                var clock = Stopwatch.StartNew();
                if (loraPlus is null)
                    foreach (var group in optimizer.ParamGroups) group.LearningRate = LearningRate(options, step, totalSteps);
                else
                    foreach (var (group, peak) in optimizer.ParamGroups.Zip(loraPlus.Value.Groups.Select(g => g.PeakRate(loraPlus.Value.Trainer))))
                        group.LearningRate = LearningRate(options with { LearningRate = peak }, step, totalSteps);
                double loss;
                using (var scope = NewDisposeScope())
                {
                    var index = tensor(order[start..Math.Min(start + options.BatchSize, order.Length)]);
                    var input = preprocessing.Apply(train.Pixels.index_select(0, index));
                    var logits = model.call(input);
                    var value = nn.functional.cross_entropy(logits, train.Labels.index_select(0, index));
                    loss = value.item<float>();
                    if (!double.IsFinite(loss))
                        throw new InvalidOperationException($"Training loss is {loss} at step {step + 1}: lower LoRA:LearningRate (now {options.LearningRate}). Nothing was saved.");
                    optimizer.zero_grad();
                    value.backward();
                    ClipGradients(named, options.MaxGradNorm, step + 1, loss);
                    optimizer.step();
                }
                stepSeconds.Add(clock.Elapsed.TotalSeconds);
                losses.Add(loss);
                windowLoss += loss;
                step++;
                if (options.LogEvery > 0 && step % options.LogEvery == 0)
                {
                    log?.Invoke($"step {step}/{totalSteps} (epoch {epoch + 1}): loss {windowLoss / options.LogEvery:F4}, {stepSeconds[^1]:F2} s/step");
                    windowLoss = 0;
                }
            }
        }
        model.eval();
        double? accuracy = validation is null ? null : Accuracy(model, preprocessing, validation, options.BatchSize);
        return new ImageTrainingResult(step, losses, stepSeconds, accuracy);
    }

    /// <summary>The LoRA+ groups of <paramref name="named"/> (<see cref="ParameterGroups"/>) and the trainer options that rate them.</summary>
    private static (IReadOnlyList<ParameterGroups.Group> Groups, TrainerOptions Trainer) LoraPlusGroups(ResNet18 model,
        IReadOnlyList<(string name, TorchSharp.Modules.Parameter parameter)> named, ImageTrainingOptions options)
    {
        var trainer = new TrainerOptions { LearningRate = options.LearningRate, WeightDecay = options.WeightDecay, LoraPlusLrRatio = options.LoraPlusLrRatio };
        return (ParameterGroups.Of(model, named, trainer), trainer);
    }

    /// <summary>
    /// Clips the gradients to <paramref name="maxNorm"/> (0: no clipping) and stops with an error naming the step and the
    /// first parameter whose gradient is not finite, before an update could write NaN into the weights.
    /// </summary>
    internal static void ClipGradients(IReadOnlyList<(string name, TorchSharp.Modules.Parameter parameter)> named, double maxNorm, int step, double loss)
    {
        // Checked before clipping, which would scale every gradient by the NaN coefficient and hide which one it was.
        using (var scope = NewDisposeScope())
        {
            var norms = named.Where(p => p.parameter.grad is not null).Select(p => p.parameter.grad!.norm()).ToArray();
            double norm = norms.Length == 0 ? 0 : stack(norms).norm().item<float>();
            if (double.IsFinite(norm))
            {
                if (maxNorm > 0) nn.utils.clip_grad_norm_(named.Select(p => p.parameter), maxNorm);
                return;
            }
        }
        string first = named.FirstOrDefault(p => p.parameter.grad is { } g && !g.isfinite().all().item<bool>()).name
            ?? named.MaxBy(p => p.parameter.grad is { } g ? g.abs().max().item<float>() : 0f).name; // finite, but the norm overflowed
        throw new InvalidOperationException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Non-finite gradient at step {step} (in '{first}'; the loss was {loss:0.0000}). Nothing was saved. " +
            $"On AMD CPUs with AVX-512, libtorch's oneDNN kernels produced NaN gradients here: LoraSdk caps them with " +
            $"{Native.OneDnnIsaCap.Variable}={Native.OneDnnIsaCap.CappedIsa} unless that variable is set (here: {Native.OneDnnIsaCap.Apply() ?? "unset"}); otherwise lower the learning rate."));
    }

    /// <summary>The fraction of <paramref name="data"/> whose most probable label is right (model in eval mode, no gradients).</summary>
    public static double Accuracy(ResNet18 model, ResNetPreprocessing preprocessing, LabeledImages data, int batchSize = 64)
    {
        using var _ = no_grad();
        long correct = 0;
        for (long start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long end = Math.Min(start + batchSize, data.Count);
            var logits = model.call(preprocessing.Apply(data.Pixels[TensorIndex.Slice(start, end)]));
            correct += logits.argmax(1).eq(data.Labels[TensorIndex.Slice(start, end)]).sum().item<long>();
        }
        return (double)correct / data.Count;
    }

    /// <summary>Linear warm-up to the learning rate, then cosine decay to zero at the last step.</summary>
    public static double LearningRate(ImageTrainingOptions options, int step, int totalSteps)
    {
        if (step < options.WarmupSteps) return options.LearningRate * (step + 1) / options.WarmupSteps;
        double progress = (double)(step - options.WarmupSteps) / Math.Max(1, totalSteps - options.WarmupSteps);
        return options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
