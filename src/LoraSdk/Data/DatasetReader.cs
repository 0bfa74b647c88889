namespace LoraSdk.Data;

/// <summary>Reads any supported data file.</summary>
public static class DatasetReader
{
    /// <summary>Reads a dataset file with the reader its format needs; a file without examples is an error.</summary>
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

    /// <summary><paramref name="format"/>, or for <see cref="DatasetFormat.Auto"/> the format the file extension implies.</summary>
    public static DatasetFormat ResolveFormat(string path, DatasetFormat format) =>
        format != DatasetFormat.Auto ? format : Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" or ".json" or ".ndjson" => DatasetFormat.Jsonl,
            ".csv" => DatasetFormat.Csv,
            _ => DatasetFormat.Text,
        };
}
