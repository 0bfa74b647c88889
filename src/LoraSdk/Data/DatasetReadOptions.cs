namespace LoraSdk.Data;

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
