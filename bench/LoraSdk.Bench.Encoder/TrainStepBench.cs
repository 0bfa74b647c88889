using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>One AdamW training step (forward, cross-entropy, backward, update) on one fixed batch, LoRA or full fine-tuning.</summary>
public static class TrainStepBench
{
    /// <param name="MatmulGigaflops">The matmul rate measured in the same process right before the timed steps (for the floor).</param>
    public sealed record Result(string Mode, double MedianStepMilliseconds, long TrainableParameters, long PeakRssBytes, double MatmulGigaflops, double LastLoss);

    public static Result Run(BenchShape shape, EncoderVariant variant, bool lora, int warmup, int steps, string? mode = null)
    {
        using var work = new EncoderWorkload(shape, variant);
        var model = variant.Model;
        if (lora) variant.TrainAdaptersAndHead();
        else variant.TrainEverything();
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        var optimizer = optim.AdamW(trainable, lr: 1e-4);
        model.train();
        double lastLoss = double.NaN;

        void Step()
        {
            using var scope = NewDisposeScope();
            var logits = model.call(work.InputIds, work.AttentionMask);
            var loss = nn.functional.cross_entropy(logits, work.Targets);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            lastLoss = loss.item<float>();
        }

        for (int i = 0; i < warmup; i++) Step();
        // The machine's matmul rate is measured next to the steps it is compared with, in the same process.
        double gigaflops = MatmulRate.GigaflopsPerSecond(shape);
        double median = Timing.MedianMilliseconds(Step, warmup: 0, steps);
        return new Result(mode ?? (lora ? $"LoRA r={shape.LoraRank} (query, value) + head" : "full fine-tuning"),
            median, trainable.Sum(p => p.numel()), Timing.PeakRssBytes(), gigaflops, lastLoss);
    }
}
