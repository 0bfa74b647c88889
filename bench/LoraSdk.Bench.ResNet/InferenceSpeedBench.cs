using System.Diagnostics;
using System.Globalization;
using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Bench.ResNet;

/// <summary>
/// Inference forward time of one pretrained network in four states, on the same input, alternating forward by
/// forward in one process: <c>base</c> (adapters disabled), <c>base-again</c> (the same, a control: its ratio to
/// base shows the method's own noise and bias), <c>merged</c> (scaling·B·A folded into the weights: the very
/// convolutions of base with other values) and <c>unmerged</c> (the low-rank path runs beside the base layer).
/// One model instance, so every state shares the allocator's history; each round times one forward of each state
/// in a fresh random order, and each state's time is divided by base's in the same round. The report gives, for
/// wall-clock time and for the thread's CPU time (<see cref="ThreadCpuClock"/>), the median of those per-round
/// ratios with a bootstrap interval, and the minor page faults per forward of each state.
/// </summary>
internal static class InferenceSpeedBench
{
    private static readonly string[] Variants = ["base", "base-again", "merged", "unmerged"];

    public static int Run(Arguments a)
    {
        int batch = a.Int("batch", 4), side = a.Int("size", 224), warmup = a.Int("warmup", 3), forwards = a.Int("forwards", 1);
        int maxRounds = a.Int("rounds", 0); // 0: as many as --seconds allows
        var budget = TimeSpan.FromSeconds(a.Double("seconds", 240));
        string loadAtStart = ProcessCounters.LoadAverage();
        var (model, input) = Pretrained.ForInference(a, batch, side);
        using var _ = model;
        using var __ = input;
        using var noGrad = no_grad();

        string outputs = CheckOutputs(model, input);
        var wall = Variants.ToDictionary(v => v, _ => new List<double>());
        var cpu = Variants.ToDictionary(v => v, _ => new List<double>());
        var faults = Variants.ToDictionary(v => v, _ => 0L);
        var order = Variants.ToArray();
        var random = new Random(a.Int("seed", 7));
        var clock = Stopwatch.StartNew();
        int round = 0;
        for (; round < warmup || (maxRounds > 0 ? round - warmup < maxRounds : clock.Elapsed < budget); round++)
        {
            random.Shuffle(order);
            foreach (string variant in order)
            {
                var timing = Forwards(model, input, variant, forwards);
                if (round < warmup) continue;
                wall[variant].Add(timing.Wall);
                cpu[variant].Add(timing.Cpu);
                faults[variant] += timing.Faults;
            }
        }

        int rounds = round - warmup;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ResNet-18 inference forward, {side}×{side}, batch {batch}, {get_num_threads()} thread(s): {rounds} rounds after {warmup} warm-up rounds in {clock.Elapsed.TotalSeconds:F0} s, {forwards} forward(s) per state per round, states in a random order each round; load average {loadAtStart} at the start, {ProcessCounters.LoadAverage()} at the end."));
        Console.WriteLine(outputs);
        if (get_num_threads() > 1)
            Console.WriteLine("With more than one thread, thread CPU time covers the calling thread's share only: read the wall-clock columns.");
        Console.WriteLine();
        Console.WriteLine("| state | median wall / CPU per forward | minor faults per forward | × base, wall: median of per-round ratios [95 % interval] (interquartile range) | × base, thread CPU time: the same |");
        Console.WriteLine("| --- | ---: | ---: | --- | --- |");
        var wallRatios = new Dictionary<string, RatioStatistics>();
        var cpuRatios = new Dictionary<string, RatioStatistics>();
        foreach (string variant in Variants)
        {
            string times = string.Create(CultureInfo.InvariantCulture,
                $"{1000 * RatioStatistics.Quantile(wall[variant], 0.5):F1} / {1000 * RatioStatistics.Quantile(cpu[variant], 0.5):F1} ms");
            string perForward = ((double)faults[variant] / (rounds * forwards)).ToString("F0", CultureInfo.InvariantCulture);
            if (variant == "base")
            {
                Console.WriteLine($"| base | {times} | {perForward} | 1 | 1 |");
                continue;
            }
            wallRatios[variant] = Ratios(wall, variant);
            cpuRatios[variant] = Ratios(cpu, variant);
            Console.WriteLine($"| {variant} | {times} | {perForward} | {Describe(wallRatios[variant], spread: true)} | {Describe(cpuRatios[variant], spread: true)} |");
        }
        Console.WriteLine();
        Console.WriteLine("| check | goal | wall [95 % interval] | verdict (wall) | thread CPU [95 % interval] | verdict (CPU) |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        Check("control: base-again vs base", "1.00 ± 0.02", wallRatios["base-again"], cpuRatios["base-again"], s => s.Precision(0.02));
        Check("merged vs base (issue 16)", "≤ 1.02×", wallRatios["merged"], cpuRatios["merged"], s => s.Verdict(1.02));
        Check("unmerged vs base (issue 16)", "≤ 1.10×", wallRatios["unmerged"], cpuRatios["unmerged"], s => s.Verdict(1.10));
        return 0;
    }

    private static RatioStatistics Ratios(Dictionary<string, List<double>> times, string variant) =>
        RatioStatistics.Of(times[variant].Zip(times["base"], (v, b) => v / b).ToList());

    private static string Describe(RatioStatistics s, bool spread) =>
        string.Create(CultureInfo.InvariantCulture, $"{s.Median:F3}× [{s.Low:F3}, {s.High:F3}]") +
        (spread ? string.Create(CultureInfo.InvariantCulture, $" ({s.Quartile1:F3}–{s.Quartile3:F3})") : "");

    private static void Check(string name, string goal, RatioStatistics wall, RatioStatistics cpu, Func<RatioStatistics, string> verdict) =>
        Console.WriteLine($"| {name} | {goal} | {Describe(wall, spread: false)} | {verdict(wall)} | {Describe(cpu, spread: false)} | {verdict(cpu)} |");

    /// <summary>
    /// Mean wall and thread-CPU seconds per forward, and minor faults, over <paramref name="forwards"/> forwards of
    /// one state; switching state (disable, merge, unmerge) is not timed.
    /// </summary>
    private static (double Wall, double Cpu, long Faults) Forwards(ResNet18 model, Tensor input, string variant, int forwards)
    {
        using var state = Enter(model, variant);
        long faults = ProcessCounters.MinorFaults();
        double cpu = ThreadCpuClock.Seconds();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < forwards; i++)
            using (model.call(input)) { }
        double wall = clock.Elapsed.TotalSeconds / forwards;
        cpu = (ThreadCpuClock.Seconds() - cpu) / forwards;
        faults = ProcessCounters.MinorFaults() - faults;
        return (wall, cpu, faults);
    }

    /// <summary>Puts the model in <paramref name="variant"/>'s state until disposed (unmerged is the model's own state).</summary>
    private static IDisposable Enter(ResNet18 model, string variant)
    {
        if (variant.StartsWith("base", StringComparison.Ordinal)) return model.DisableLoRA();
        if (variant == "merged")
        {
            model.MergeLoRA();
            return new Undo(model.UnmergeLoRA);
        }
        return new Undo(() => { });
    }

    /// <summary>
    /// The states must compute what they claim, or "merged ≈ base" would be trivially true: merged must equal
    /// unmerged (up to float rounding) and differ from base.
    /// </summary>
    private static string CheckOutputs(ResNet18 model, Tensor input)
    {
        var logits = new[] { "base", "merged", "unmerged" }.ToDictionary(v => v, v =>
        {
            using var state = Enter(model, v);
            return model.call(input);
        });
        double MaxDifference(string x, string y)
        {
            using var difference = (logits[x] - logits[y]).abs().max();
            return difference.item<float>();
        }
        string line = string.Create(CultureInfo.InvariantCulture,
            $"Logits: max |merged − unmerged| = {MaxDifference("merged", "unmerged"):G3}, max |merged − base| = {MaxDifference("merged", "base"):G3}.");
        foreach (var t in logits.Values) t.Dispose();
        return line;
    }

    private sealed class Undo(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
