using static TorchSharp.torch;

namespace LoraSdk.Data;

/// <summary>
/// A padded batch: token ids (int64, batch × length), attention mask (int64, 1 = real token, 0 = padding) and,
/// for classification, label ids (int64, batch). Causal-LM examples with <see cref="EncodedExample.TokenLabels"/> give
/// <see cref="TokenLabels"/>; packed examples (<see cref="EncodedExample.SegmentIds"/>) put their segment numbers
/// (1, 2, …) in the attention mask instead of 1, so a model that supports packing keeps attention inside each one.
/// Disposing it frees the tensors.
/// </summary>
public sealed class Batch : IDisposable
{
    private Batch(Tensor inputIds, Tensor attentionMask, Tensor? labels, Tensor? tokenLabels)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        Labels = labels;
        TokenLabels = tokenLabels;
    }

    /// <summary>Token ids, (batch × length), padded.</summary>
    public Tensor InputIds { get; }
    /// <summary>1 for tokens (or the token's packed-example number), 0 for padding, (batch × length).</summary>
    public Tensor AttentionMask { get; }
    /// <summary>Per-token targets (batch × length, int64; -100 where not scored and at padding), or null when every real token is scored.</summary>
    public Tensor? TokenLabels { get; }
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
        bool scoresSome = examples.Any(e => e.TokenLabels is not null);
        var targets = scoresSome ? new long[ids.Length] : null;
        for (int row = 0; row < examples.Count; row++)
        {
            var example = examples[row];
            var tokens = example.TokenIds;
            for (int col = 0; col < length; col++)
            {
                bool real = col < tokens.Length;
                ids[row * length + col] = real ? tokens[col] : paddingId;
                mask[row * length + col] = !real ? 0 : example.SegmentIds?[col] ?? 1;
                if (targets is not null)
                    targets[row * length + col] = !real ? EncodedExample.IgnoredTokenLabel : example.TokenLabels?[col] ?? tokens[col];
            }
        }
        long[] shape = [examples.Count, length];
        Tensor? labels = examples[0].Label >= 0 ? tensor(examples.Select(e => (long)e.Label).ToArray(), device: device) : null;
        Tensor? tokenLabels = targets is null ? null : tensor(targets, shape, device: device);
        return new Batch(tensor(ids, shape, device: device), tensor(mask, shape, device: device), labels, tokenLabels);
    }

    /// <summary>Frees the batch's tensors.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        Labels?.Dispose();
        TokenLabels?.Dispose();
    }
}
