using System.Text.Json;
using LoraSdk.Data;

namespace LoraSdk.Models;

/// <summary>
/// Reads instruction data as JSON Lines, one conversation per line, in either of the two formats OpenAI, TRL and most
/// datasets use: <c>{"messages": [{"role": "system"|"user"|"assistant", "content": "..."}, …]}</c> or
/// <c>{"prompt": "...", "completion": "..."}</c> (a user turn and the assistant's answer). Blank lines are skipped.
/// Every record is checked here, so a bad one fails before training with <c>file(line,col): error LORA2xx</c>.
/// </summary>
public static class ChatJsonlReader
{
    private static readonly string[] Roles = ["system", "user", "assistant"];

    /// <summary>The conversations of <paramref name="path"/>; a bad record is a <see cref="LoraInputException"/> naming its line.</summary>
    public static IReadOnlyList<ChatRecord> Read(string path)
    {
        var lines = StrictTextFile.ReadLines(path);
        var records = new List<ChatRecord>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            records.Add(new ChatRecord(ParseLine(path, i + 1, lines[i]), path, i + 1));
        }
        if (records.Count == 0)
            throw new LoraInputException(LoraErrorCodes.EmptyFile, path, 1, 1, "the file has no conversations (one JSON object per line: {\"messages\": [...]} or {\"prompt\": ..., \"completion\": ...}).");
        return records;
    }

    private static List<ChatMessage> ParseLine(string path, int line, string json)
    {
        using (var document = JsonlReader.ParseDocument(path, line, json))
        {
            var root = document.RootElement;
            LoraInputException Invalid(string code, string problem) => new(code, path, line, 1, problem);
            if (root.ValueKind != JsonValueKind.Object)
                throw Invalid(LoraErrorCodes.InvalidRecord, $"expected a JSON object, found {root.ValueKind.ToString().ToLowerInvariant()}.");
            var messages = root.TryGetProperty("messages", out var list) ? Messages(list, Invalid) : PromptCompletion(root, Invalid);
            if (!messages.Any(m => m.Role == "assistant"))
                throw Invalid(LoraErrorCodes.MissingField, "the conversation has no assistant turn, so there is nothing to learn from it.");
            return messages;
        }
    }

    private static List<ChatMessage> Messages(JsonElement list, Func<string, string, LoraInputException> invalid)
    {
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw invalid(LoraErrorCodes.InvalidRecord, "\"messages\" must be a non-empty array of {\"role\", \"content\"} objects.");
        var messages = new List<ChatMessage>();
        int index = 0;
        foreach (var item in list.EnumerateArray())
        {
            string at = $"messages[{index++}]";
            if (item.ValueKind != JsonValueKind.Object) throw invalid(LoraErrorCodes.InvalidRecord, $"{at} must be an object with \"role\" and \"content\".");
            string role = Text(item, "role", at, invalid);
            if (!Roles.Contains(role))
                throw invalid(LoraErrorCodes.InvalidRecord, $"{at}.role is \"{role}\"; the roles are system, user and assistant.");
            messages.Add(new ChatMessage(role, Text(item, "content", at, invalid)));
        }
        return messages;
    }

    private static List<ChatMessage> PromptCompletion(JsonElement root, Func<string, string, LoraInputException> invalid)
    {
        if (!root.TryGetProperty("prompt", out _) && !root.TryGetProperty("completion", out _))
            throw invalid(LoraErrorCodes.MissingField, "the record has neither \"messages\" nor \"prompt\" and \"completion\".");
        return [ChatMessage.User(Text(root, "prompt", "the record", invalid)), ChatMessage.Assistant(Text(root, "completion", "the record", invalid))];
    }

    // A required, non-blank string field: an empty turn teaches nothing and usually means a broken export.
    private static string Text(JsonElement owner, string field, string at, Func<string, string, LoraInputException> invalid)
    {
        if (!owner.TryGetProperty(field, out var value)) throw invalid(LoraErrorCodes.MissingField, $"{at} has no \"{field}\".");
        if (value.ValueKind != JsonValueKind.String) throw invalid(LoraErrorCodes.InvalidRecord, $"{at}.{field} must be a string, found {value.ValueKind.ToString().ToLowerInvariant()}.");
        var text = value.GetString()!;
        if (string.IsNullOrWhiteSpace(text)) throw invalid(LoraErrorCodes.InvalidRecord, $"{at}.{field} is empty.");
        return text;
    }
}
