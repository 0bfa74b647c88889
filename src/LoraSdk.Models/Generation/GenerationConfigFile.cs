using System.Text.Json;

namespace LoraSdk.Models;

/// <summary>
/// Reads a model's <c>generation_config.json</c> into <see cref="GenerationOptions"/>: the defaults transformers'
/// <c>model.generate()</c> starts from (e.g. Llama 3 Instruct's sampling at temperature 0.6, top-p 0.9, and its three
/// EOS ids). Keys it does not map (<c>max_length</c>, which counts the prompt; <c>pad_token_id</c>; version fields) are ignored.
/// </summary>
internal static class GenerationConfigFile
{
    public static GenerationOptions Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: generation config not found.", path);
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object.");
            var o = new GenerationOptions();
            o = o with
            {
                MaxNewTokens = Int(root, path, "max_new_tokens") ?? o.MaxNewTokens,
                MinNewTokens = Int(root, path, "min_new_tokens") ?? o.MinNewTokens,
                DoSample = Bool(root, path, "do_sample") ?? o.DoSample,
                Temperature = Double(root, path, "temperature") ?? o.Temperature,
                TopK = Int(root, path, "top_k") ?? o.TopK,
                TopP = Double(root, path, "top_p") ?? o.TopP,
                RepetitionPenalty = Double(root, path, "repetition_penalty") ?? o.RepetitionPenalty,
                EosTokenIds = IntList(root, path, "eos_token_id") ?? o.EosTokenIds,
                StopStrings = StringList(root, path, "stop_strings") ?? o.StopStrings,
            };
            try { o.Validate(); }
            catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
            return o;
        }
    }

    private static JsonElement? Value(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static int? Int(JsonElement root, string path, string key) => Value(root, key) is { } v
        ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw Wrong(path, key, "an integer", v)
        : null;

    private static double? Double(JsonElement root, string path, string key) => Value(root, key) is { } v
        ? v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Wrong(path, key, "a number", v)
        : null;

    private static bool? Bool(JsonElement root, string path, string key) => Value(root, key) is { } v
        ? v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Wrong(path, key, "true or false", v)
        : null;

    private static int[]? IntList(JsonElement root, string path, string key) => Value(root, key) is { } v
        ? v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int i) ? i : throw Wrong(path, key, "integers", e)).ToArray()
            : [Int(root, path, key)!.Value]
        : null;

    private static string[]? StringList(JsonElement root, string path, string key) => Value(root, key) is { } v
        ? v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Wrong(path, key, "strings", e)).ToArray()
            : v.ValueKind == JsonValueKind.String ? [v.GetString()!] : throw Wrong(path, key, "a string or a list of strings", v)
        : null;

    private static InvalidDataException Wrong(string path, string key, string expected, JsonElement value) =>
        new($"{path}: \"{key}\" must be {expected}; got {value.GetRawText()}.");
}
