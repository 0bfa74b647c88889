using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Fine-tunes a <see cref="ResNet18"/> on <see cref="LabeledImages"/>: every parameter with
/// <c>requires_grad</c> is trained (LoRA adapters and the head after construction; call <c>FreezeBase</c>,
/// <c>DisableLoRA</c> or set <c>requires_grad</c> for a linear probe or full fine-tuning), with cross-entropy,
/// AdamW, warm-up + cosine decay, gradient clipping and batches shuffled from <see cref="ImageTrainingOptions.Seed"/>.
/// A non-finite loss stops training with an error naming the step, rather than writing a broken adapter.
/// </summary>
public static class ImageClassifierTrainer
{
    /// <summary>Trains <paramref name="model"/>'s trainable parameters on <paramref name="train"/>; accuracy on <paramref name="validation"/> at the end when given.</summary>
    public static ImageTrainingResult Train(ResNet18 model, ResNetPreprocessing preprocessing, LabeledImages train,
        LabeledImages? validation, ImageTrainingOptions options, Action<string>? log = null)
    {
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        if (parameters.Count == 0) throw new InvalidOperationException("The model has no trainable parameters.");
        int stepsPerEpoch = (int)((train.Count + options.BatchSize - 1) / options.BatchSize);
        int totalSteps = stepsPerEpoch * options.Epochs;
        using var optimizer = optim.AdamW(parameters, options.LearningRate, weight_decay: options.WeightDecay);
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
                foreach (var group in optimizer.ParamGroups) group.LearningRate = LearningRate(options, step, totalSteps);
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
                    if (options.MaxGradNorm > 0) nn.utils.clip_grad_norm_(parameters, options.MaxGradNorm);
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
