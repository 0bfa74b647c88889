namespace LoraSdk.Models;

/// <summary>
/// transformers' logits processors for one row's next-token logits, in place, in transformers' order: repetition
/// penalty (and min-new-tokens EOS suppression) before the sampling warpers temperature → top-k → top-p. Arithmetic on
/// the logits is float32 as in PyTorch; the probabilities top-p and sampling use are computed in float64.
/// Filtered tokens get −∞, as transformers' filter value.
/// </summary>
internal static class LogitsProcessing
{
    /// <summary>Each distinct id in <paramref name="seen"/>: a positive logit divided by the penalty, a negative one multiplied.</summary>
    public static void ApplyRepetitionPenalty(Span<float> logits, IEnumerable<int> seen, double penalty)
    {
        float p = (float)penalty;
        foreach (int id in seen)
        {
            float s = logits[id];
            logits[id] = s < 0 ? s * p : s / p;
        }
    }

    /// <summary>Sets the logits of <paramref name="ids"/> (those inside the vocabulary) to −∞.</summary>
    public static void Suppress(Span<float> logits, IReadOnlyList<int> ids)
    {
        foreach (int id in ids)
            if (id < logits.Length) logits[id] = float.NegativeInfinity;
    }

    /// <summary>Divides every logit by the temperature (float32, as PyTorch's tensor / scalar).</summary>
    public static void ApplyTemperature(Span<float> logits, double temperature)
    {
        if (temperature == 1.0) return;
        float t = (float)temperature;
        for (int i = 0; i < logits.Length; i++) logits[i] /= t;
    }

    /// <summary>Keeps the logits ≥ the k-th largest (ties with it survive); 0 or k ≥ vocabulary is a no-op.</summary>
    public static void ApplyTopK(Span<float> logits, int k)
    {
        if (k <= 0 || k >= logits.Length) return;
        // The k-th largest through a size-k min-heap: O(V log k) instead of sorting the vocabulary every step.
        var heap = new PriorityQueue<float, float>(k);
        foreach (float s in logits)
        {
            if (heap.Count < k) heap.Enqueue(s, s);
            else if (s > heap.Peek()) heap.EnqueueDequeue(s, s);
        }
        float kth = heap.Peek();
        for (int i = 0; i < logits.Length; i++)
            if (logits[i] < kth) logits[i] = float.NegativeInfinity;
    }

    /// <summary>
    /// Nucleus filter, transformers' rule: sort ascending, remove the tokens whose cumulative probability is ≤ 1 − p,
    /// always keeping the most probable one. Tokens already at −∞ (probability 0) stay removed.
    /// </summary>
    public static void ApplyTopP(Span<float> logits, double topP)
    {
        if (topP >= 1.0) return;
        var candidates = FiniteIndices(logits);
        // Ascending by logit; among equal logits the higher id first, so the lower id counts as more probable (as argmax prefers it).
        var values = logits.ToArray();
        candidates.Sort((a, b) => values[a] != values[b] ? values[a].CompareTo(values[b]) : b.CompareTo(a));
        var probabilities = Softmax(values, candidates);
        double cumulative = 0, threshold = 1.0 - topP;
        for (int j = 0; j < candidates.Count - 1; j++)
        {
            cumulative += probabilities[j];
            if (cumulative <= threshold) logits[candidates[j]] = float.NegativeInfinity;
        }
    }

    /// <summary>The ids whose logit is not −∞ (the support still in play), ascending.</summary>
    public static List<int> FiniteIndices(ReadOnlySpan<float> logits)
    {
        var ids = new List<int>();
        for (int i = 0; i < logits.Length; i++)
            if (!float.IsNegativeInfinity(logits[i])) ids.Add(i);
        return ids;
    }

    /// <summary>Softmax (float64) of <paramref name="logits"/> over <paramref name="ids"/>, in the order of <paramref name="ids"/>.</summary>
    public static double[] Softmax(ReadOnlySpan<float> logits, IReadOnlyList<int> ids)
    {
        double max = double.NegativeInfinity;
        foreach (int id in ids) max = Math.Max(max, logits[id]);
        var p = new double[ids.Count];
        double sum = 0;
        for (int j = 0; j < ids.Count; j++) sum += p[j] = Math.Exp(logits[ids[j]] - max);
        for (int j = 0; j < p.Length; j++) p[j] /= sum;
        return p;
    }
}
