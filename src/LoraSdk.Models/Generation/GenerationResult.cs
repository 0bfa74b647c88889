namespace LoraSdk.Models;

/// <summary>What one prompt generated.</summary>
/// <param name="TokenIds">The new token ids, in order, prompt and padding left out; the end-of-sequence id that stopped it is the last one, and with a stop string every token up to the one that completed it.</param>
/// <param name="Text">The decoded new tokens (special tokens left out unless <see cref="GenerationOptions.SkipSpecialTokens"/> is false), cut before the stop string.</param>
/// <param name="StopReason">Why the sequence ended.</param>
/// <param name="StopString">The stop string found, when <paramref name="StopReason"/> is <see cref="Models.StopReason.StopString"/>.</param>
/// <param name="PromptTokenCount">Tokens in the prompt (padding not counted).</param>
public sealed record GenerationResult(
    IReadOnlyList<int> TokenIds, string Text, StopReason StopReason, string? StopString, int PromptTokenCount);
