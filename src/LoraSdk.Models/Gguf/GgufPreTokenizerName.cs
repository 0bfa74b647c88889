using System.Text.Json;

namespace LoraSdk.Models.Gguf;

/// <summary>
/// Recognises llama.cpp's pre-tokenizer name from a byte-level <c>tokenizer.json</c>. llama.cpp's converter hashes the
/// tokenizer's output on a test text; here the pre_tokenizer section is compared with the exact splits the families
/// ship, and anything else is refused (llama.cpp would split text differently from transformers: a silent mismatch).
/// </summary>
public static class GgufPreTokenizerName
{
    /// <summary>Llama 3's split regex (llama.cpp "llama-bpe").</summary>
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Qwen2's split regex (llama.cpp "qwen2"): Llama 3's with single digits.</summary>
    public const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>
    /// "llama-bpe" (a Split with Llama 3's regex, then ByteLevel without its own regex), "qwen2" (the same with Qwen2's
    /// regex), "smollm" (Digits with individual_digits, then ByteLevel with GPT-2's regex) or "gpt-2" (ByteLevel with
    /// GPT-2's regex alone); ByteLevel must not add a prefix space.
    /// </summary>
    /// <exception cref="NotSupportedException">The pre_tokenizer is none of these; the message says to name it (<see cref="GgufExportOptions.PreTokenizer"/>).</exception>
    public static string Derive(string tokenizerJsonPath)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(tokenizerJsonPath));
        var steps = new List<JsonElement>();
        if (document.RootElement.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object)
        {
            if (Type(pre) == "Sequence" && pre.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array)
                steps.AddRange(list.EnumerateArray());
            else
                steps.Add(pre);
        }
        string? name = steps switch
        {
            [var split, var byteLevel] when IsSplit(split, Llama3Pattern) && IsByteLevel(byteLevel, useRegex: false) => "llama-bpe",
            [var split, var byteLevel] when IsSplit(split, Qwen2Pattern) && IsByteLevel(byteLevel, useRegex: false) => "qwen2",
            [var digits, var byteLevel] when IsIndividualDigits(digits) && IsByteLevel(byteLevel, useRegex: true) => "smollm",
            [var byteLevel] when IsByteLevel(byteLevel, useRegex: true) => "gpt-2",
            _ => null,
        };
        return name ?? throw new NotSupportedException(
            $"{tokenizerJsonPath}: pre_tokenizer is not one whose llama.cpp name is known (Llama 3, Qwen2, SmolLM or GPT-2 splits); " +
            "llama.cpp would split text its own way. Name it with GgufExportOptions.PreTokenizer (tokenizer.ggml.pre).");
    }

    private static string? Type(JsonElement e) => e.TryGetProperty("type", out var t) ? t.GetString() : null;

    private static bool Flag(JsonElement e, string name, bool missing) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.True : missing;

    private static bool IsSplit(JsonElement e, string pattern) =>
        Type(e) == "Split" && e.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.Object
        && p.TryGetProperty("Regex", out var regex) && regex.GetString() == pattern
        && (!e.TryGetProperty("behavior", out var b) || b.GetString() == "Isolated") && !Flag(e, "invert", missing: false);

    private static bool IsByteLevel(JsonElement e, bool useRegex) =>
        Type(e) == "ByteLevel" && Flag(e, "use_regex", missing: true) == useRegex && !Flag(e, "add_prefix_space", missing: true);

    private static bool IsIndividualDigits(JsonElement e) => Type(e) == "Digits" && Flag(e, "individual_digits", missing: false);
}
