using LoraSdk;
using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>One AdamW training step (forward, cross-entropy, backward, update) on batch 8 × 128, LoRA or full fine-tuning.</summary>
public static class TrainStepBench
{
    /// <param name="MatmulGigaflops">The matmul rate measured in the same process right before the timed steps (for the floor).</param>
    public sealed record Result(string Mode, double MedianStepMilliseconds, long TrainableParameters, long PeakRssBytes, double MatmulGigaflops);

    public static Result Run(BenchShape shape, bool lora, int warmup, int steps)
    {
        using var work = new EncoderWorkload(shape);
        var model = work.Model;
        using var adaptersOff = lora ? null : model.DisableLoRA();
        if (lora)
        {
            model.FreezeBase("classifier");
        }
        else
        {
            var basePaths = model.BaseParameters().Keys.ToHashSet();
            foreach (var (name, parameter) in model.named_parameters()) parameter.requires_grad = basePaths.Contains(name);
        }
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        var optimizer = optim.AdamW(trainable, lr: 1e-4);
        model.train();

        void Step()
        {
            using var scope = NewDisposeScope();
            var logits = model.call(work.InputIds, work.AttentionMask);
            var loss = nn.functional.cross_entropy(logits, work.Targets);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }

        for (int i = 0; i < warmup; i++) Step();
        // The machine's matmul rate is measured next to the steps it is compared with, in the same process.
        double gigaflops = MatmulRate.GigaflopsPerSecond(shape);
        double median = Timing.MedianMilliseconds(Step, warmup: 0, steps);
        return new Result(lora ? "LoRA r=8 (query, value) + head" : "full fine-tuning",
            median, trainable.Sum(p => p.numel()), Timing.PeakRssBytes(), gigaflops);
    }
}
