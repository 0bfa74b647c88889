namespace LoraSdk.Data;

/// <summary>One example as read from a data file, with where it came from (for error messages).</summary>
/// <param name="Text">The example text.</param>
/// <param name="Label">The class label for classification data, or null.</param>
/// <param name="File">The file it was read from.</param>
/// <param name="Line">The 1-based line where the record starts.</param>
public sealed record TextRecord(string Text, string? Label, string File, int Line);
