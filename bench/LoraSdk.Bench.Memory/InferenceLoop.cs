using System.Diagnostics;
using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Memory;

/// <summary>
/// A long inference loop on the SDK's own forward: a MiniLM-shaped <see cref="SequenceClassifier"/> (6 × d384, LoRA on
/// query/value, random weights), eval mode without autograd, as a serving process runs it. Batches cycle through four
/// sequence lengths up to <c>length</c>, so differently sized activations come and go as with real traffic.
/// </summary>
internal static class InferenceLoop
{
    public static double Run(int steps, int batch, int length, RssWindows windows)
    {
        manual_seed(1);
        using var model = new SequenceClassifier(BertConfig.MiniLmL6, labelCount: 6);
        model.eval();
        int[] lengths = [.. new[] { length, length * 3 / 4, length / 2, length / 4 }.Select(l => Math.Max(1, l))];
        var batches = lengths.Select(l => (Ids: randint(0, BertConfig.MiniLmL6.VocabSize, [batch, l], dtype: ScalarType.Int64),
            Mask: ones(batch, l, dtype: ScalarType.Int64))).ToArray();
        var clock = Stopwatch.StartNew();
        for (int step = 1; step <= steps; step++)
        {
            var (ids, mask) = batches[(step - 1) % batches.Length];
            float first;
            using (no_grad())
            using (var logits = model.ComputeLogits(ids, mask))
            {
                first = logits[0, 0].item<float>();
            }
            windows.Sample(step, steps, $"logit {first:0.000}");
        }
        double seconds = clock.Elapsed.TotalSeconds;
        foreach (var (ids, mask) in batches) { ids.Dispose(); mask.Dispose(); }
        return seconds;
    }
}
