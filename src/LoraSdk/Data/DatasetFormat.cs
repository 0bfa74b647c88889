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

/// <summary>Reads any supported data file.</summary>
public static class DatasetReader
{
    public static IReadOnlyList<TextRecord> Read(string path, DatasetReadOptions? options = null)
    {
        options ??= new DatasetReadOptions();
        var records = ResolveFormat(path, options.Format) switch
        {
            DatasetFormat.Jsonl => JsonlReader.Read(path, options.TextField, options.LabelField),
            DatasetFormat.Csv => CsvReader.Read(path, options.TextField, options.LabelField),
            _ => PlainTextReader.Read(path, options.TextMode),
        };
        if (records.Count == 0)
            throw new LoraInputException(LoraErrorCodes.EmptyFile, path, 1, 1, "the data file has no examples.");
        return records;
    }

    public static DatasetFormat ResolveFormat(string path, DatasetFormat format) =>
        format != DatasetFormat.Auto ? format : Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" or ".json" or ".ndjson" => DatasetFormat.Jsonl,
            ".csv" => DatasetFormat.Csv,
            _ => DatasetFormat.Text,
        };
}
