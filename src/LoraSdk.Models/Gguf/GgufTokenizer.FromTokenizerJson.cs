using System.Text.Json;

namespace LoraSdk.Models.Gguf;

public sealed partial record GgufTokenizer
{
    /// <summary>
    /// The vocabulary of a HuggingFace <c>tokenizer.json</c> with a byte-level BPE model (Llama 3, Qwen2, SmolLM,
    /// GPT-2 style), as llama.cpp's <c>gpt2</c> vocabulary: tokens by id, merges, added tokens as control (special)
    /// or user-defined tokens, gaps in the ids as unused <c>[PAD&lt;id&gt;]</c> tokens.
    /// </summary>
    /// <param name="tokenizerJsonPath">The <c>tokenizer.json</c> file.</param>
    /// <param name="preTokenizer">
    /// llama.cpp's name for the model's pre-tokenizer regex (<c>tokenizer.ggml.pre</c>): "llama-bpe" for Llama 3,
    /// "qwen2" for Qwen2, "smollm" for SmolLM, "gpt-2" for GPT-2. llama.cpp's converter recognises it by hashing the
    /// tokenizer's output; it cannot be read from the file, so the caller names it (llama.cpp refuses unknown names).
    /// </param>
    /// <param name="addBosToken"><c>tokenizer.ggml.add_bos_token</c> (tokenizer_config.json's <c>add_bos_token</c>, or whether the post-processor adds one).</param>
    /// <param name="chatTemplate">tokenizer_config.json's <c>chat_template</c>.</param>
    /// <remarks>
    /// SentencePiece-style vocabularies (a BPE model with <c>byte_fallback</c>, as Llama 2 and Mistral ship) need
    /// llama.cpp's <c>llama</c> vocabulary with scores and are refused, as are WordPiece and Unigram models and BPE
    /// without a byte-level pre-tokenizer: llama.cpp would load them and tokenize text differently from transformers.
    /// </remarks>
    public static GgufTokenizer FromTokenizerJson(string tokenizerJsonPath, string preTokenizer, bool? addBosToken = null, string? chatTemplate = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(preTokenizer);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(tokenizerJsonPath));
        JsonElement root = document.RootElement;
        string Where(string field) => $"{tokenizerJsonPath}: {field}";
        JsonElement model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.Object
            ? m : throw new InvalidDataException($"{Where("model")} is missing.");
        string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        if (type != "BPE")
            throw new NotSupportedException($"{Where("model.type")} is '{type}'; GGUF export converts byte-level BPE vocabularies only.");
        if (model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True)
            throw new NotSupportedException($"{Where("model.byte_fallback")} is true: a SentencePiece-style vocabulary (Llama 2, Mistral) needs llama.cpp's 'llama' vocabulary with scores, which this conversion does not write.");
        if (!UsesByteLevel(root.TryGetProperty("pre_tokenizer", out var pre) ? pre : default))
            throw new NotSupportedException($"{Where("pre_tokenizer")} has no ByteLevel step; llama.cpp's 'gpt2' vocabulary assumes byte-level BPE.");

        var byId = new SortedDictionary<int, (string Text, GgufTokenType Type)>();
        foreach (JsonProperty entry in model.GetProperty("vocab").EnumerateObject())
            byId[entry.Value.GetInt32()] = (entry.Name, GgufTokenType.Normal);
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            foreach (JsonElement token in added.EnumerateArray())
            {
                bool special = token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
                byId[token.GetProperty("id").GetInt32()] = (token.GetProperty("content").GetString()!, special ? GgufTokenType.Control : GgufTokenType.UserDefined);
            }
        if (byId.Count == 0) throw new InvalidDataException($"{Where("model.vocab")} is empty.");
        if (byId.Keys.First() < 0) throw new InvalidDataException($"{Where("model.vocab")} has a negative id.");

        int size = byId.Keys.Last() + 1;
        var tokens = new string[size];
        var types = new GgufTokenType[size];
        for (int id = 0; id < size; id++)
            (tokens[id], types[id]) = byId.TryGetValue(id, out var token) ? token : ($"[PAD{id}]", GgufTokenType.Unused);

        var merges = new List<string>();
        if (model.TryGetProperty("merges", out var mergeList))
            foreach (JsonElement merge in mergeList.EnumerateArray())
                merges.Add(merge.ValueKind == JsonValueKind.String
                    ? merge.GetString()!
                    : string.Join(' ', merge.EnumerateArray().Select(part => part.GetString()))); // tokenizers ≥ 0.20 writes [left, right]

        return new GgufTokenizer("gpt2", tokens, types, Merges: merges, PreTokenizer: preTokenizer, AddBosToken: addBosToken, ChatTemplate: chatTemplate);
    }

    private static bool UsesByteLevel(JsonElement preTokenizer)
    {
        if (preTokenizer.ValueKind != JsonValueKind.Object) return false;
        if (preTokenizer.TryGetProperty("type", out var type) && type.GetString() == "ByteLevel") return true;
        return preTokenizer.TryGetProperty("pretokenizers", out var steps) && steps.ValueKind == JsonValueKind.Array
            && steps.EnumerateArray().Any(UsesByteLevel);
    }
}
