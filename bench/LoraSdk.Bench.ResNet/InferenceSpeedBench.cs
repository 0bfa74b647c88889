using System.Diagnostics;
using System.Globalization;
using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Bench.ResNet;

/// <summary>
/// Inference forward time of the base network (adapters disabled), the unmerged LoRA model (the extra low-rank
/// convolutions run) and the merged one (scaling·B·A folded into the weights), on the same input, interleaved
/// rounds so that load drifts hit all three alike.
/// </summary>
internal static class InferenceSpeedBench
{
    public static int Run(Arguments a)
    {
        int batch = a.Int("batch", 16), side = a.Int("size", 224), rounds = a.Int("rounds", 10), forwards = a.Int("forwards", 3);
        var (model, preprocessing) = Pretrained.Load(a);
        using var _ = model;
        using var __ = preprocessing;
        using (no_grad())
        {
            // Non-zero B, as after training (B starts at zero, which would make the update trivially cheap to skip).
            foreach (var (name, p) in model.LoraParameters().Where(p => p.Name.Contains("lora_B"))) p.normal_(0, 0.01);
        }
        model.eval();
        using var images = rand(batch, 3, side, side) * 255;
        using var input = preprocessing.Apply(images);

        var timings = new Dictionary<string, List<double>> { ["base"] = [], ["unmerged"] = [], ["merged"] = [] };
        using var noGrad = no_grad();
        var variants = timings.Keys.ToArray();
        for (int round = 0; round <= rounds; round++)
        {
            // The order rotates every round, so no variant always runs first (right after another one's merge/unmerge).
            for (int k = 0; k < variants.Length; k++)
            {
                string variant = variants[(round + k) % variants.Length];
                double seconds = Time(model, input, variant, forwards);
                if (round > 0) timings[variant].Add(seconds); // round 0 warms up
            }
        }
        double Median(string v) => timings[v].Order().ElementAt(timings[v].Count / 2);
        Console.WriteLine("| variant | median forward | vs base |");
        foreach (var variant in timings.Keys)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {variant} | {1000 * Median(variant):F1} ms | {Median(variant) / Median("base"):F3}× |"));
        return 0;
    }

    /// <summary>Mean seconds per forward over <paramref name="forwards"/> forwards of one variant (merge/unmerge not timed).</summary>
    private static double Time(ResNet18 model, Tensor input, string variant, int forwards)
    {
        IDisposable? disabled = variant == "base" ? model.DisableLoRA() : null;
        if (variant == "merged") model.MergeLoRA();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < forwards; i++)
            using (var output = model.call(input)) { }
        double seconds = clock.Elapsed.TotalSeconds / forwards;
        if (variant == "merged") model.UnmergeLoRA();
        disabled?.Dispose();
        return seconds;
    }
}
