namespace LoraSdk.Data;

/// <summary>
/// One tokenised example: its token ids (already truncated) and its label id, or -1 without a label.
/// Causal-LM examples may say which tokens are scored (<paramref name="TokenLabels"/>: the token's id where it is a
/// target, <see cref="IgnoredTokenLabel"/> where it is not, as TRL's completion-only collator writes them) and, when
/// several examples are packed into one sequence, which example each token belongs to (<paramref name="SegmentIds"/>:
/// 1, 2, 3, … per packed example).
/// </summary>
/// <param name="TokenIds">The token ids.</param>
/// <param name="Label">The class id, or -1.</param>
/// <param name="TokenLabels">Per token: its id when the loss scores it, <see cref="IgnoredTokenLabel"/> otherwise; null scores every token.</param>
/// <param name="SegmentIds">Per token: the 1-based number of the packed example it belongs to; null for one example.</param>
public sealed record EncodedExample(int[] TokenIds, int Label = -1, int[]? TokenLabels = null, int[]? SegmentIds = null)
{
    /// <summary>The label of a token the loss does not score (PyTorch's <c>ignore_index</c>).</summary>
    public const int IgnoredTokenLabel = -100;
}
