using System.Text;

namespace LoraSdk.Data;

/// <summary>
/// Reads CSV (RFC 4180): a header row naming the columns, comma-separated fields, fields in double quotes may
/// hold commas, line breaks and doubled quotes (<c>""</c>). Blank lines are skipped.
/// </summary>
public static class CsvReader
{
    /// <summary>The records of a CSV file with a header row; a bad row is a <see cref="LoraInputException"/> naming its line.</summary>
    public static IReadOnlyList<TextRecord> Read(string path, string textColumn = "text", string? labelColumn = null)
    {
        var rows = ParseRows(path, StrictTextFile.ReadLines(path));
        if (rows.Count == 0)
            throw new LoraInputException(LoraErrorCodes.EmptyFile, path, 1, 1, "the CSV file is empty: it has no header row.");
        var header = rows[0];
        int textIndex = ColumnIndex(path, header, textColumn);
        int labelIndex = labelColumn is null ? -1 : ColumnIndex(path, header, labelColumn);
        var records = new List<TextRecord>(rows.Count - 1);
        foreach (var row in rows.Skip(1))
        {
            if (row.Fields.Count != header.Fields.Count)
                throw new LoraInputException(LoraErrorCodes.InvalidRecord, path, row.Line, 1,
                    $"the row has {row.Fields.Count} fields but the header has {header.Fields.Count}.");
            records.Add(new TextRecord(row.Fields[textIndex], labelIndex < 0 ? null : row.Fields[labelIndex], path, row.Line));
        }
        if (records.Count == 0)
            throw new LoraInputException(LoraErrorCodes.EmptyFile, path, 1, 1, "the CSV file has a header row but no examples.");
        return records;
    }

    private static int ColumnIndex(string path, Row header, string column)
    {
        int index = header.Fields.IndexOf(column);
        if (index < 0)
            throw new LoraInputException(LoraErrorCodes.MissingField, path, header.Line, 1,
                $"the header has no \"{column}\" column (columns: {string.Join(", ", header.Fields)}).");
        return index;
    }

    private sealed record Row(int Line, List<string> Fields);

    private static List<Row> ParseRows(string path, IReadOnlyList<string> lines)
    {
        var rows = new List<Row>();
        int lineIndex = 0;
        while (lineIndex < lines.Count)
        {
            if (string.IsNullOrWhiteSpace(lines[lineIndex])) { lineIndex++; continue; }
            int start = lineIndex;
            rows.Add(new Row(start + 1, ParseRecord(path, lines, ref lineIndex)));
        }
        return rows;
    }

    /// <summary>Parses one record starting at <paramref name="lineIndex"/>, which it moves past the record.</summary>
    private static List<string> ParseRecord(string path, IReadOnlyList<string> lines, ref int lineIndex)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int startLine = lineIndex + 1;
        string line = lines[lineIndex];
        int i = 0;
        bool quoted = false, fieldWasQuoted = false;
        while (true)
        {
            if (i == line.Length)
            {
                if (!quoted) break;
                // A quoted field continues on the next line.
                lineIndex++;
                if (lineIndex == lines.Count)
                    throw new LoraInputException(LoraErrorCodes.InvalidRecord, path, startLine, 1, "a quoted field is never closed.");
                field.Append('\n');
                line = lines[lineIndex];
                i = 0;
                continue;
            }
            char c = line[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
                fieldWasQuoted = false;
            }
            else if (c == '"')
            {
                if (field.Length > 0 || fieldWasQuoted)
                    throw new LoraInputException(LoraErrorCodes.InvalidRecord, path, lineIndex + 1, i + 1,
                        "a quote inside an unquoted field (quote the whole field and double the inner quotes).");
                quoted = fieldWasQuoted = true;
            }
            else if (fieldWasQuoted)
            {
                throw new LoraInputException(LoraErrorCodes.InvalidRecord, path, lineIndex + 1, i + 1,
                    "text after the closing quote of a field (expected a comma).");
            }
            else field.Append(c);
            i++;
        }
        fields.Add(field.ToString());
        lineIndex++;
        return fields;
    }
}
