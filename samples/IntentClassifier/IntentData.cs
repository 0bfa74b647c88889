using System.Text.Json;

namespace IntentClassifier;

/// <summary>One labelled support message.</summary>
public sealed record IntentExample(string Text, string Label);

/// <summary>Reads <c>{"text": …, "label": …}</c> JSON Lines, naming the file and line of a bad record.</summary>
public static class IntentData
{
    public static IReadOnlyList<IntentExample> Read(string path)
    {
        var examples = new List<IntentExample>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var json = JsonDocument.Parse(line);
                var text = json.RootElement.GetProperty("text").GetString();
                var label = json.RootElement.GetProperty("label").GetString();
                if (string.IsNullOrWhiteSpace(text) || string.IsNullOrWhiteSpace(label))
                    throw new InvalidDataException("\"text\" and \"label\" must be non-empty strings");
                examples.Add(new IntentExample(text, label));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException)
            {
                throw new InvalidDataException($"{path}({lineNumber}): invalid record: {e.Message}", e);
            }
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path}: no records.");
        return examples;
    }
}
