using System.Text.Json;

namespace LoraSdk.Data;

/// <summary>Reads JSON Lines: one object per line, <c>{"text": …}</c> or <c>{"text": …, "label": …}</c>; blank lines are skipped.</summary>
public static class JsonlReader
{
    /// <summary>The records of a JSON Lines file; a bad line is a <see cref="LoraInputException"/> naming it.</summary>
    public static IReadOnlyList<TextRecord> Read(string path, string textField = "text", string? labelField = null)
    {
        var lines = StrictTextFile.ReadLines(path);
        var records = new List<TextRecord>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            records.Add(ParseLine(path, i + 1, lines[i], textField, labelField));
        }
        return records;
    }

    /// <summary>One JSONL line as a document; invalid JSON is LORA201 at <paramref name="path"/>(line, column of the error).</summary>
    internal static JsonDocument ParseDocument(string path, int line, string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            int column = (int)(e.BytePositionInLine ?? 0) + 1;
            throw new LoraInputException(LoraErrorCodes.InvalidRecord, path, line, column, $"invalid JSON: {JsonErrorText.WithoutPosition(e.Message)}", e);
        }
    }

    private static TextRecord ParseLine(string path, int line, string json, string textField, string? labelField)
    {
        using (var document = ParseDocument(path, line, json))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new LoraInputException(LoraErrorCodes.InvalidRecord, path, line, 1, $"expected a JSON object, found {Describe(root.ValueKind)}.");
            if (!root.TryGetProperty(textField, out var text))
                throw new LoraInputException(LoraErrorCodes.MissingField, path, line, 1, $"the record has no \"{textField}\" field.");
            if (text.ValueKind != JsonValueKind.String)
                throw new LoraInputException(LoraErrorCodes.InvalidRecord, path, line, 1, $"\"{textField}\" must be a string, found {Describe(text.ValueKind)}.");
            string? label = null;
            if (labelField is not null)
            {
                if (!root.TryGetProperty(labelField, out var labelValue))
                    throw new LoraInputException(LoraErrorCodes.MissingField, path, line, 1, $"the record has no \"{labelField}\" field.");
                label = labelValue.ValueKind switch
                {
                    JsonValueKind.String => labelValue.GetString(),
                    JsonValueKind.Number => labelValue.GetRawText(),
                    _ => throw new LoraInputException(LoraErrorCodes.InvalidRecord, path, line, 1,
                        $"\"{labelField}\" must be a string or a number, found {Describe(labelValue.ValueKind)}."),
                };
            }
            return new TextRecord(text.GetString()!, label, path, line);
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Number => "a number",
        _ => "a string",
    };
}
