namespace LoraSdk.Data;

/// <summary>Which fields hold the text and the label, and how plain text is split.</summary>
public sealed record DatasetReadOptions
{
    /// <summary>The file format; <see cref="DatasetFormat.Auto"/> picks it from the extension.</summary>
    public DatasetFormat Format { get; init; } = DatasetFormat.Auto;

    /// <summary>The JSON field or CSV column with the text.</summary>
    public string TextField { get; init; } = "text";

    /// <summary>The JSON field or CSV column with the label; null for unlabelled (language-model) data.</summary>
    public string? LabelField { get; init; }

    /// <summary>How plain text is split into examples.</summary>
    public TextFileMode TextMode { get; init; } = TextFileMode.Lines;
}
