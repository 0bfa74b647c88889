namespace LoraSdk.Models;

/// <summary>Picks one row's next token from its raw logits: the processing <see cref="GenerationOptions"/> asks for, then argmax or a draw.</summary>
internal static class TokenPicker
{
    /// <summary>
    /// The next token of a row. <paramref name="logits"/> (modified in place) are the raw logits of its last position;
    /// <paramref name="seen"/> its distinct prompt and generated ids; <paramref name="generated"/> how many tokens it has
    /// produced so far.
    /// </summary>
    public static int Pick(Span<float> logits, GenerationOptions o, IReadOnlyCollection<int> seen, int generated,
        IReadOnlyList<int> eosIds, RowRandom? random, int row)
    {
        for (int i = 0; i < logits.Length; i++)
            if (float.IsNaN(logits[i]))
                throw new InvalidOperationException($"Generation: the model's logits for row {row} contain NaN (token id {i}, after {generated} generated tokens); the model or its adapter produced invalid numbers.");
        if (o.RepetitionPenalty != 1.0) LogitsProcessing.ApplyRepetitionPenalty(logits, seen, o.RepetitionPenalty);
        if (generated < o.MinNewTokens) LogitsProcessing.Suppress(logits, eosIds);
        if (!o.DoSample) return ArgMax(logits, row);
        LogitsProcessing.ApplyTemperature(logits, o.Temperature);
        LogitsProcessing.ApplyTopK(logits, o.TopK);
        LogitsProcessing.ApplyTopP(logits, o.TopP);
        return Draw(logits, random!, row);
    }

    /// <summary>The first index of the largest logit (torch.argmax's choice among ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits, int row)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        if (float.IsNegativeInfinity(logits[best]))
            throw new InvalidOperationException($"Generation: every token of row {row} has logit −∞; nothing can be picked.");
        return best;
    }

    /// <summary>A draw from softmax(<paramref name="logits"/>) (float64) with one uniform of the row's generator.</summary>
    public static int Draw(ReadOnlySpan<float> logits, RowRandom random, int row)
    {
        var ids = LogitsProcessing.FiniteIndices(logits);
        if (ids.Count == 0 || float.IsPositiveInfinity(MaxOf(logits, ids)))
            throw new InvalidOperationException($"Generation: row {row}'s processed logits leave no finite distribution to sample from (all −∞, or +∞ present).");
        var p = LogitsProcessing.Softmax(logits, ids);
        double total = 0;
        foreach (double q in p) total += q;
        double u = random.NextDouble() * total, cumulative = 0;
        for (int j = 0; j < p.Length; j++)
        {
            cumulative += p[j];
            if (u < cumulative) return ids[j];
        }
        return ids[^1]; // unreachable: u < total = the final cumulative sum
    }

    private static float MaxOf(ReadOnlySpan<float> logits, List<int> ids)
    {
        float max = float.NegativeInfinity;
        foreach (int id in ids) max = Math.Max(max, logits[id]);
        return max;
    }
}
