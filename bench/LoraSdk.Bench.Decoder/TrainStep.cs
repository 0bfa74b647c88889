using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Decoder;

/// <summary>
/// One AdamW step (forward, next-token cross-entropy over every position, backward, update) on a fixed batch: LoRA r=8
/// alpha 16 on q_proj/v_proj, or full fine-tuning of every base weight (adapters disabled). Weights: the model's own
/// random init, seed 0 (timing does not depend on the values).
/// </summary>
public static class TrainStep
{
    /// <param name="MedianForwardMilliseconds">Forward and loss; with the backward and the optimizer step, the phases pytorch_twin.py reports too (where a gap to the twin lies).</param>
    public sealed record Result(string Mode, int Batch, int Length, bool GradientCheckpointing, double MedianStepMilliseconds, long TrainableParameters, long PeakRssBytes, double LastLoss,
        double MedianForwardMilliseconds = 0, double MedianBackwardMilliseconds = 0, double MedianOptimizerMilliseconds = 0, double MinorFaultsPerStep = 0);

    public static Result Run(BenchShape shape, bool lora, int warmup, int steps, bool checkpointing = false)
    {
        manual_seed(0);
        using var model = new CausalLM(shape.Config, new CausalLMLoadOptions { TargetModules = ["q_proj", "v_proj"], Rank = 8, Alpha = 16 });
        model.GradientCheckpointing = checkpointing;
        using var disabled = lora ? null : model.DisableLoRA();
        if (!lora)
            foreach (var (name, parameter) in model.named_parameters())
                parameter.requires_grad = !name.Contains("_lora.", StringComparison.Ordinal);
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = optim.AdamW(trainable, lr: 1e-4);
        using var ids = tensor(shape.TokenIds(), [shape.Batch, shape.Length], ScalarType.Int64);
        using var inputs = ids.narrow(1, 0, shape.Length - 1);
        using var targets = ids.narrow(1, 1, shape.Length - 1).reshape(-1);
        model.train();
        double lastLoss = double.NaN;

        var forward = new List<double>();
        var backward = new List<double>();
        var update = new List<double>();
        void Step()
        {
            using var scope = NewDisposeScope();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var logits = model.call(inputs);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, shape.Vocab), targets);
            forward.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            optimizer.zero_grad();
            loss.backward();
            backward.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            optimizer.step();
            update.Add(clock.Elapsed.TotalMilliseconds);
            lastLoss = loss.item<float>();
        }

        for (int i = 0; i < warmup; i++) Step();
        forward.Clear();
        backward.Clear();
        update.Clear();
        var times = new List<double>();
        long faultsBefore = PeakRss.MinorFaults();
        for (int i = 0; i < steps; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Step();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return new Result(lora ? "LoRA r=8 (q_proj, v_proj)" : "full fine-tuning", shape.Batch, shape.Length, checkpointing, Median(times), trainable.Sum(p => p.numel()), PeakRss.Bytes(), lastLoss,
            Median(forward), Median(backward), Median(update), (PeakRss.MinorFaults() - faultsBefore) / (double)Math.Max(1, steps));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        int half = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
    }
}

public static class PeakRss
{
    /// <summary>Peak resident set size of this process (VmHWM) in bytes.</summary>
    public static long Bytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]) * 1024;
    }

    /// <summary>
    /// Minor page faults of this process so far (/proc/self/stat field 10): each is a fresh page the kernel zeroed, the
    /// cost of memory given back to the system and asked for again (large tensors are mappings of their own in glibc).
    /// </summary>
    public static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": field 3 onwards
        return long.Parse(fields[10 - 3], System.Globalization.CultureInfo.InvariantCulture);
    }
}
