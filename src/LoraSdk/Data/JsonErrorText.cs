namespace LoraSdk.Data;

/// <summary>
/// System.Text.Json ends its messages with its own position, "Path: $ | LineNumber: 0 | BytePositionInLine: 44.",
/// counted from the piece it was given (line 0 of one JSONL record, say). Callers report the real file position
/// in their own words, so that tail would only contradict it.
/// </summary>
internal static class JsonErrorText
{
    public static string WithoutPosition(string message)
    {
        int cut = message.Length;
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            int at = message.IndexOf(marker, StringComparison.Ordinal);
            if (at > 0) cut = Math.Min(cut, at);
        }
        return message[..cut].TrimEnd();
    }
}
