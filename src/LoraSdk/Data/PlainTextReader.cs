namespace LoraSdk.Data;

/// <summary>Reads plain UTF-8 text: one example per line, or the whole file as one corpus record.</summary>
public static class PlainTextReader
{
    /// <summary>The records of a UTF-8 text file, split as <paramref name="mode"/> says.</summary>
    public static IReadOnlyList<TextRecord> Read(string path, TextFileMode mode = TextFileMode.Lines)
    {
        var lines = StrictTextFile.ReadLines(path);
        if (mode == TextFileMode.Corpus)
            return [new TextRecord(string.Join('\n', lines), null, path, 1)];
        var records = new List<TextRecord>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (!string.IsNullOrWhiteSpace(lines[i])) records.Add(new TextRecord(lines[i], null, path, i + 1));
        }
        return records;
    }
}
