namespace LoraSdk.Models;

/// <summary>One conversation read from an instruction data file, with where it came from (for errors and warnings).</summary>
/// <param name="Messages">The turns; at least one is the assistant's.</param>
/// <param name="File">The file it was read from.</param>
/// <param name="Line">Its 1-based line.</param>
public sealed record ChatRecord(IReadOnlyList<ChatMessage> Messages, string File, int Line);
