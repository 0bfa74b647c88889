namespace LoraSdk.Data;

/// <summary>Seeded shuffling and train/validation splits that give the same result on every machine.</summary>
public static class DataSplit
{
    /// <summary>
    /// A permutation of 0..count-1 from <paramref name="seed"/> (Fisher–Yates over a SplitMix64 stream, so
    /// it does not depend on the runtime's <see cref="Random"/> implementation).
    /// </summary>
    public static int[] Permutation(int count, long seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        ulong state = unchecked((ulong)seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)(SplitMix64(ref state) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>Shuffles with <paramref name="seed"/> and holds out <paramref name="validationFraction"/> (at least one item each side).</summary>
    public static (IReadOnlyList<T> Train, IReadOnlyList<T> Validation) Split<T>(IReadOnlyList<T> items, double validationFraction, long seed)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in (0, 1).");
        if (items.Count < 2)
            throw new ArgumentException($"Splitting needs at least two examples, found {items.Count}.", nameof(items));
        int validation = Math.Clamp((int)Math.Round(items.Count * validationFraction), 1, items.Count - 1);
        var order = Permutation(items.Count, seed);
        return (order.Skip(validation).Select(i => items[i]).ToList(), order.Take(validation).Select(i => items[i]).ToList());
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
