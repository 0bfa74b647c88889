namespace LoraSdk.Models;

/// <summary>
/// Prompts of different lengths as one left-padded batch (transformers' padding side for generation), and the attention
/// mask of everything fed so far: 0 on padding, 1 on every real token and every later step.
/// </summary>
internal sealed class LeftPaddedBatch
{
    private readonly List<long>[] mask;

    private LeftPaddedBatch(long[] ids, long width, List<long>[] mask) => (Ids, Width, this.mask) = (ids, width, mask);

    /// <summary>The padded prompt ids, row-major (rows × <see cref="Width"/>).</summary>
    public long[] Ids { get; }

    /// <summary>The longest prompt's length.</summary>
    public long Width { get; }

    /// <summary>Positions fed so far (the mask's width).</summary>
    public long Length => mask[0].Count;

    public static LeftPaddedBatch Create(IReadOnlyList<IReadOnlyList<int>> prompts, int pad)
    {
        int width = prompts.Max(p => p.Count);
        var ids = new long[prompts.Count * width];
        var mask = new List<long>[prompts.Count];
        for (int r = 0; r < prompts.Count; r++)
        {
            int padding = width - prompts[r].Count;
            mask[r] = new List<long>(width + 64);
            for (int i = 0; i < width; i++)
            {
                ids[r * width + i] = i < padding ? pad : prompts[r][i - padding];
                mask[r].Add(i < padding ? 0 : 1);
            }
        }
        return new LeftPaddedBatch(ids, width, mask);
    }

    /// <summary>One more position for every row, unmasked.</summary>
    public void AppendColumn()
    {
        foreach (var row in mask) row.Add(1);
    }

    /// <summary>The mask, row-major (rows × <see cref="Length"/>).</summary>
    public long[] Mask()
    {
        var flat = new long[mask.Length * Length];
        for (int r = 0; r < mask.Length; r++) mask[r].CopyTo(flat, r * (int)Length);
        return flat;
    }
}
