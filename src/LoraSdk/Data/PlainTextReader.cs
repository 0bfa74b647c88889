namespace LoraSdk.Data;

/// <summary>How a plain-text file is split into examples.</summary>
public enum TextFileMode
{
    /// <summary>One example per non-blank line.</summary>
    Lines,

    /// <summary>The whole file is one corpus, later cut into fixed-length token blocks.</summary>
    Corpus,
}

/// <summary>Reads plain UTF-8 text: one example per line, or the whole file as one corpus record.</summary>
public static class PlainTextReader
{
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
