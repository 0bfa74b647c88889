using System.Globalization;
using System.Text.Json;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Decoder;

/// <summary>The shape of a small random decoder, written as a HuggingFace folder by the tests (names and config keys as transformers writes them).</summary>
internal sealed record TinyDecoderSpec
{
    public string ModelType { get; init; } = "llama";
    public int Vocab { get; init; } = 37;
    public int Hidden { get; init; } = 16;
    public int Intermediate { get; init; } = 24;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 2;
    public int HeadDim => Hidden / Heads;
    public double Eps { get; init; } = 1e-5;
    public double Theta { get; init; } = 10000;
    public bool Tied { get; init; }
    public bool QkvBias { get; init; }
    /// <summary>The raw JSON of rope_scaling (or null).</summary>
    public string? RopeScalingJson { get; init; }
    /// <summary>Extra top-level config entries as raw JSON ("key": value).</summary>
    public IReadOnlyList<string> ExtraConfig { get; init; } = [];

    public string Architecture => ModelType switch { "qwen2" => "Qwen2ForCausalLM", "mistral" => "MistralForCausalLM", _ => "LlamaForCausalLM" };

    /// <summary>config.json as transformers 4.x writes it.</summary>
    public string ConfigJson(string dtype = "float32")
    {
        var entries = new List<string>
        {
            $"\"architectures\": [\"{Architecture}\"]", $"\"model_type\": \"{ModelType}\"", $"\"vocab_size\": {Vocab}", $"\"hidden_size\": {Hidden}",
            $"\"intermediate_size\": {Intermediate}", $"\"num_hidden_layers\": {Layers}", $"\"num_attention_heads\": {Heads}",
            $"\"num_key_value_heads\": {KvHeads}", $"\"rms_norm_eps\": {Eps.ToString("R", CultureInfo.InvariantCulture)}",
            $"\"rope_theta\": {Theta.ToString("R", CultureInfo.InvariantCulture)}", $"\"tie_word_embeddings\": {(Tied ? "true" : "false")}",
            $"\"hidden_act\": \"silu\"", $"\"max_position_embeddings\": 512", $"\"torch_dtype\": \"{dtype}\"", "\"bos_token_id\": 1", "\"eos_token_id\": 2",
            $"\"rope_scaling\": {RopeScalingJson ?? "null"}",
        };
        if (ModelType == "qwen2") entries.Add("\"use_sliding_window\": false");
        if (ModelType == "qwen2") entries.Add("\"sliding_window\": 64");
        entries.AddRange(ExtraConfig);
        return "{\n  " + string.Join(",\n  ", entries) + "\n}\n";
    }

    /// <summary>Random float64 weights under HuggingFace's names, seeded.</summary>
    public Dictionary<string, Tensor> RandomWeights(int seed)
    {
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        Tensor Rand(params long[] shape) => randn(shape, ScalarType.Float64, generator: generator) * 0.3;
        var w = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["model.embed_tokens.weight"] = Rand(Vocab, Hidden),
            ["model.norm.weight"] = Rand(Hidden) + 1,
        };
        for (int i = 0; i < Layers; i++)
        {
            string p = $"model.layers.{i}.";
            w[p + "self_attn.q_proj.weight"] = Rand(Heads * HeadDim, Hidden);
            w[p + "self_attn.k_proj.weight"] = Rand(KvHeads * HeadDim, Hidden);
            w[p + "self_attn.v_proj.weight"] = Rand(KvHeads * HeadDim, Hidden);
            w[p + "self_attn.o_proj.weight"] = Rand(Hidden, Heads * HeadDim);
            if (QkvBias)
            {
                w[p + "self_attn.q_proj.bias"] = Rand(Heads * HeadDim);
                w[p + "self_attn.k_proj.bias"] = Rand(KvHeads * HeadDim);
                w[p + "self_attn.v_proj.bias"] = Rand(KvHeads * HeadDim);
            }
            w[p + "mlp.gate_proj.weight"] = Rand(Intermediate, Hidden);
            w[p + "mlp.up_proj.weight"] = Rand(Intermediate, Hidden);
            w[p + "mlp.down_proj.weight"] = Rand(Hidden, Intermediate);
            w[p + "input_layernorm.weight"] = Rand(Hidden) + 1;
            w[p + "post_attention_layernorm.weight"] = Rand(Hidden) + 1;
        }
        if (!Tied) w["lm_head.weight"] = Rand(Vocab, Hidden);
        return w;
    }

    /// <summary>Writes config.json and the weights (in <paramref name="dtype"/>) as one file or <paramref name="shards"/> shards with an index.</summary>
    public void WriteFolder(string folder, IReadOnlyDictionary<string, Tensor> weights, ScalarType dtype = ScalarType.Float32, int shards = 1, string? configJson = null)
    {
        Directory.CreateDirectory(folder);
        string dtypeName = dtype switch { ScalarType.Float16 => "float16", ScalarType.BFloat16 => "bfloat16", ScalarType.Float64 => "float64", _ => "float32" };
        File.WriteAllText(Path.Combine(folder, "config.json"), configJson ?? ConfigJson(dtypeName));
        var converted = weights.Select(w => (w.Key, w.Value.is_floating_point() ? w.Value.to_type(dtype) : w.Value)).ToList();
        if (shards == 1)
        {
            SafetensorsFile.Write(Path.Combine(folder, "model.safetensors"), converted);
            return;
        }
        var map = new Dictionary<string, string>();
        var groups = converted.Select((w, i) => (w, shard: i % shards)).GroupBy(x => x.shard);
        foreach (var group in groups)
        {
            string name = $"model-{group.Key + 1:00000}-of-{shards:00000}.safetensors";
            SafetensorsFile.Write(Path.Combine(folder, name), group.Select(x => x.w));
            foreach (var (w, _) in group) map[w.Key] = name;
        }
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
    }

    /// <summary>The weights as the model sees them after a round trip through <paramref name="dtype"/> (float64 values).</summary>
    public static Dictionary<string, Tensor> Rounded(IReadOnlyDictionary<string, Tensor> weights, ScalarType dtype) =>
        weights.ToDictionary(w => w.Key, w => w.Value.to_type(dtype).to_type(ScalarType.Float64));
}
