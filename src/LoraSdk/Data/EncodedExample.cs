namespace LoraSdk.Data;

/// <summary>One tokenised example: its token ids (already truncated) and its label id, or -1 without a label.</summary>
public sealed record EncodedExample(int[] TokenIds, int Label = -1);
