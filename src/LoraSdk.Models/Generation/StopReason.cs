namespace LoraSdk.Models;

/// <summary>Why a generated sequence ended.</summary>
public enum StopReason
{
    /// <summary>It produced an end-of-sequence id (the id is the last of <see cref="GenerationResult.TokenIds"/>).</summary>
    EndOfSequence,

    /// <summary>Its text came to contain one of <see cref="GenerationOptions.StopStrings"/> (<see cref="GenerationResult.StopString"/>).</summary>
    StopString,

    /// <summary>It reached <see cref="GenerationOptions.MaxNewTokens"/>.</summary>
    MaxNewTokens,
}
