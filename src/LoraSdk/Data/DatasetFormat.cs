namespace LoraSdk.Data;

/// <summary>The file formats the data readers understand.</summary>
public enum DatasetFormat
{
    /// <summary>Chosen from the file extension: .jsonl/.json, .csv, anything else is plain text.</summary>
    Auto,
    /// <summary>JSON Lines: one object per line.</summary>
    Jsonl,
    /// <summary>CSV with a header row.</summary>
    Csv,
    /// <summary>Plain UTF-8 text (<see cref="TextFileMode"/> says how it is split).</summary>
    Text,
}
