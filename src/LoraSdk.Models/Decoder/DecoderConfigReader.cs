using System.Text.Json;

namespace LoraSdk.Models;

/// <summary>
/// Reads <c>config.json</c> and <c>generation_config.json</c> as transformers 4.x and 5.x write them into a
/// <see cref="DecoderConfig"/>. Everything LoraSdk cannot compute exactly is refused here, naming the file and key.
/// </summary>
internal static class DecoderConfigReader
{
    private static readonly Dictionary<string, string> Architectures = new(StringComparer.Ordinal)
    {
        ["LlamaForCausalLM"] = "llama",
        ["MistralForCausalLM"] = "mistral",
        ["Qwen2ForCausalLM"] = "qwen2",
    };

    public static DecoderConfig Read(string path)
    {
        using var document = Parse(path);
        var root = document.RootElement;
        var json = new Reader(root, path);

        string modelType = json.String("model_type") ?? throw new ModelFolderException(path, "model_type",
            "is missing; LoraSdk loads model_type llama, mistral or qwen2.");
        if (!Architectures.ContainsValue(modelType))
            throw new ModelFolderException(path, "model_type", $"'{modelType}' is not supported; LoraSdk loads llama, mistral and qwen2 (SmolLM is a llama).");
        if (root.TryGetProperty("architectures", out var archs) && archs.ValueKind == JsonValueKind.Array)
            foreach (var arch in archs.EnumerateArray())
                if (arch.GetString() is { } name && (!Architectures.TryGetValue(name, out var type) || type != modelType))
                    throw new ModelFolderException(path, "architectures",
                        $"'{name}' is not a causal LM LoraSdk loads for model_type '{modelType}' ({string.Join(", ", Architectures.Where(a => a.Value == modelType).Select(a => a.Key))}).");
        if (json.String("hidden_act") is { } act && act != "silu")
            throw new ModelFolderException(path, "hidden_act", $"'{act}' is not supported; these models use silu.");
        if (json.Double("attention_dropout") is { } dropout && dropout != 0)
            throw new ModelFolderException(path, "attention_dropout", $"{dropout} is not supported; LoraSdk's attention has no dropout.");

        int hidden = json.RequiredInt("hidden_size"), heads = json.RequiredInt("num_attention_heads");
        bool qwen = modelType == "qwen2";
        bool attentionBias = json.Bool("attention_bias") ?? false;
        var rope = root.TryGetProperty("rope_parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
            ? (Element: parameters, Key: "rope_parameters")
            : (Element: root.TryGetProperty("rope_scaling", out var scaling) ? scaling : default, Key: "rope_scaling");
        double theta = rope.Key == "rope_parameters" && rope.Element.TryGetProperty("rope_theta", out var t) ? t.GetDouble() : json.Double("rope_theta") ?? 10000;

        var config = new DecoderConfig
        {
            ModelType = modelType,
            VocabSize = json.RequiredInt("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = json.RequiredInt("intermediate_size"),
            NumLayers = json.RequiredInt("num_hidden_layers"),
            NumHeads = heads,
            NumKeyValueHeads = json.Int("num_key_value_heads") ?? heads,
            HeadDim = json.Int("head_dim") ?? (heads > 0 && hidden % heads == 0 ? hidden / heads
                : throw new ModelFolderException(path, "hidden_size", $"{hidden} is not a multiple of num_attention_heads {heads} and head_dim is not given.")),
            RmsNormEps = json.Double("rms_norm_eps") ?? 1e-6,
            RopeTheta = theta,
            RopeScaling = ReadRopeScaling(rope.Element, path, rope.Key),
            MaxPositionEmbeddings = json.Int("max_position_embeddings") ?? 2048,
            TieWordEmbeddings = json.Bool("tie_word_embeddings") ?? false,
            QkvBias = qwen || attentionBias,
            OutputBias = !qwen && attentionBias,
            MlpBias = json.Bool("mlp_bias") ?? false,
            SlidingWindow = SlidingWindow(json, modelType),
            StoredDType = json.String("dtype") ?? json.String("torch_dtype"),
            BosTokenId = json.Int("bos_token_id"),
            EosTokenIds = json.IntOrList("eos_token_id"),
            PadTokenId = json.Int("pad_token_id"),
        };
        foreach (var (key, message) in config.Problems()) throw new ModelFolderException(path, key, message);
        return config;
    }

    /// <summary>generation_config.json's ids; the config's when the file is absent.</summary>
    public static DecoderGenerationConfig ReadGeneration(string? path, DecoderConfig config)
    {
        if (path is null || !File.Exists(path)) return new(config.BosTokenId, config.EosTokenIds, config.PadTokenId);
        using var document = Parse(path);
        var json = new Reader(document.RootElement, path);
        var eos = json.IntOrList("eos_token_id");
        return new(json.Int("bos_token_id") ?? config.BosTokenId, eos.Count > 0 ? eos : config.EosTokenIds, json.Int("pad_token_id") ?? config.PadTokenId);
    }

    private static JsonDocument Parse(string path)
    {
        try
        {
            var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
            document.Dispose();
            throw new ModelFolderException(path, null, "is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ModelFolderException(path, null, $"is not valid JSON (line {(e.LineNumber ?? 0) + 1}): {e.Message}", e);
        }
    }

    private static int? SlidingWindow(Reader json, string modelType)
    {
        int? window = json.Int("sliding_window");
        if (window is null) return null;
        // Qwen2 ships sliding_window with use_sliding_window false (off); Mistral has no switch (on when set).
        bool on = json.Bool("use_sliding_window") ?? modelType != "qwen2";
        return on ? window : null;
    }

    private static RopeScaling? ReadRopeScaling(JsonElement element, string path, string key)
    {
        if (element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return null;
        if (element.ValueKind != JsonValueKind.Object) throw new ModelFolderException(path, key, "must be an object or null.");
        var json = new Reader(element, path, key + ".");
        string type = json.String("rope_type") ?? json.String("type") ?? "default";
        switch (type)
        {
            case "default":
                return null;
            case "linear":
                return new RopeScaling("linear", json.RequiredDouble("factor"));
            case "llama3":
                return new RopeScaling("llama3", json.RequiredDouble("factor"), json.RequiredDouble("low_freq_factor"),
                    json.RequiredDouble("high_freq_factor"), json.RequiredDouble("original_max_position_embeddings"));
            default:
                throw new ModelFolderException(path, key + ".rope_type",
                    $"'{type}' is not supported; LoraSdk computes rotary embeddings exactly for default, linear and llama3 scaling only.");
        }
    }

    /// <summary>Typed reads of one JSON object's keys; a value of the wrong kind fails naming the file and key.</summary>
    private readonly struct Reader(JsonElement element, string path, string prefix = "")
    {
        private JsonElement? Get(string key) =>
            element.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

        private ModelFolderException Wrong(string key, string expected) =>
            new(path, prefix + key, $"must be {expected}, is {element.GetProperty(key).GetRawText()}.");

        public string? String(string key) => Get(key) is { } v
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Wrong(key, "a string") : null;

        public bool? Bool(string key) => Get(key) is { } v
            ? v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Wrong(key, "true or false") : null;

        public double? Double(string key) => Get(key) is { } v
            ? v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Wrong(key, "a number") : null;

        public int? Int(string key) => Get(key) is { } v
            ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw Wrong(key, "an integer") : null;

        public int RequiredInt(string key) => Int(key) ?? throw new ModelFolderException(path, prefix + key, "is missing.");

        public double RequiredDouble(string key) => Double(key) ?? throw new ModelFolderException(path, prefix + key, "is missing.");

        public IReadOnlyList<int> IntOrList(string key)
        {
            if (Get(key) is not { } v) return [];
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int single)) return [single];
            if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _)))
                return v.EnumerateArray().Select(e => e.GetInt32()).ToList();
            throw Wrong(key, "an integer or a list of integers");
        }
    }
}
