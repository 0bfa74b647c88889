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

/// <summary>Which fields hold the text and the label, and how plain text is split.</summary>
public sealed record DatasetReadOptions
{
    public DatasetFormat Format { get; init; } = DatasetFormat.Auto;

    /// <summary>The JSON field or CSV column with the text.</summary>
    public string TextField { get; init; } = "text";

    /// <summary>The JSON field or CSV column with the label; null for unlabelled (language-model) data.</summary>
    public string? LabelField { get; init; }

    public TextFileMode TextMode { get; init; } = TextFileMode.Lines;
}
