namespace LoraSdk.Data;

/// <summary>The file formats the data readers understand.</summary>
public enum DatasetFormat
{
    /// <summary>Chosen from the file extension: .jsonl/.json, .csv, anything else is plain text.</summary>
    Auto,
    Jsonl,
    Csv,
    Text,
}
