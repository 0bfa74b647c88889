using static TorchSharp.torch;

namespace LoraSdk.Data;

/// <summary>
/// A padded batch: token ids (int64, batch × length), attention mask (int64, 1 = real token, 0 = padding) and,
/// for classification, label ids (int64, batch). Disposing it frees the tensors.
/// </summary>
public sealed class Batch : IDisposable
{
    private Batch(Tensor inputIds, Tensor attentionMask, Tensor? labels)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        Labels = labels;
    }

    /// <summary>Token ids, (batch × length), padded.</summary>
    public Tensor InputIds { get; }
    /// <summary>1 for tokens, 0 for padding, (batch × length).</summary>
    public Tensor AttentionMask { get; }
    /// <summary>Class ids (batch) for classification; null for language modelling.</summary>
    public Tensor? Labels { get; }

    /// <summary>The number of examples.</summary>
    public long Size => InputIds.shape[0];

    /// <summary>Pads <paramref name="examples"/> on the right to the longest one with <paramref name="paddingId"/>.</summary>
    public static Batch Collate(IReadOnlyList<EncodedExample> examples, int paddingId, Device? device = null)
    {
        if (examples.Count == 0) throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        int length = examples.Max(e => e.TokenIds.Length);
        var ids = new long[examples.Count * length];
        var mask = new long[ids.Length];
        for (int row = 0; row < examples.Count; row++)
        {
            var tokens = examples[row].TokenIds;
            for (int col = 0; col < length; col++)
            {
                bool real = col < tokens.Length;
                ids[row * length + col] = real ? tokens[col] : paddingId;
                mask[row * length + col] = real ? 1 : 0;
            }
        }
        long[] shape = [examples.Count, length];
        Tensor? labels = examples[0].Label >= 0 ? tensor(examples.Select(e => (long)e.Label).ToArray(), device: device) : null;
        return new Batch(tensor(ids, shape, device: device), tensor(mask, shape, device: device), labels);
    }

    /// <summary>Frees the batch's tensors.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        Labels?.Dispose();
    }
}
