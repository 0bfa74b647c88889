using System.Text;
using System.Text.Json.Nodes;

namespace LoraSdk.Templates.Tests;

/// <summary>
/// Writes a tiny random Llama-shaped HuggingFace model folder for the chat template (no LLM weights can be
/// downloaded here): config.json, model.safetensors (float32, seeded), a byte-level BPE tokenizer.json (every byte
/// its own token, id = byte value, then &lt;|im_start|&gt; 256, &lt;|im_end|&gt; 257, &lt;|endoftext|&gt; 258) and a
/// tokenizer_config.json with SmolLM2's ChatML chat template. The output head is zero except for the rows of the
/// letters a–z, so greedy decoding only ever writes lowercase letters (a zero row scores 0, below the largest of 26
/// random logits) and never ends a turn early: every answer is exactly MaxNewTokens letters, on one line.
/// </summary>
internal static class TinyChatModel
{
    private const int Vocab = 259, Hidden = 32, Intermediate = 64, Layers = 2, Heads = 4, KvHeads = 2, HeadDim = Hidden / Heads;
    private const int ImStart = 256, ImEnd = 257, EndOfText = 258;

    private const string ChatMLTemplate =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /// <summary>Writes the folder and returns its absolute path.</summary>
    public static string Write(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), Config());
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), Tokenizer().ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), new JsonObject
        {
            ["bos_token"] = "<|im_start|>", ["eos_token"] = "<|im_end|>", ["pad_token"] = "<|im_end|>", ["unk_token"] = "<|endoftext|>",
            ["clean_up_tokenization_spaces"] = false, ["tokenizer_class"] = "GPT2Tokenizer", ["chat_template"] = ChatMLTemplate,
        }.ToJsonString());
        WriteSafetensors(Path.Combine(folder, "model.safetensors"), Weights(new Random(7)));
        return Path.GetFullPath(folder);
    }

    private static string Config() => $$"""
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": {{Vocab}}, "hidden_size": {{Hidden}},
          "intermediate_size": {{Intermediate}}, "num_hidden_layers": {{Layers}}, "num_attention_heads": {{Heads}},
          "num_key_value_heads": {{KvHeads}}, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": false,
          "hidden_act": "silu", "max_position_embeddings": 512, "torch_dtype": "float32",
          "bos_token_id": {{ImStart}}, "eos_token_id": {{ImEnd}}, "rope_scaling": null
        }
        """;

    private static JsonObject Tokenizer()
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[ByteChar(b).ToString()] = b;
        static JsonObject ByteLevel(bool prefixSpace, bool trimOffsets) =>
            new() { ["type"] = "ByteLevel", ["add_prefix_space"] = prefixSpace, ["trim_offsets"] = trimOffsets, ["use_regex"] = true };
        static JsonObject Added(int id, string content) => new()
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        };
        return new JsonObject
        {
            ["version"] = "1.0", ["truncation"] = null, ["padding"] = null,
            ["added_tokens"] = new JsonArray(Added(ImStart, "<|im_start|>"), Added(ImEnd, "<|im_end|>"), Added(EndOfText, "<|endoftext|>")),
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevel(prefixSpace: false, trimOffsets: true),
            ["post_processor"] = ByteLevel(prefixSpace: false, trimOffsets: false),
            ["decoder"] = ByteLevel(prefixSpace: false, trimOffsets: true),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false, ["vocab"] = vocab, ["merges"] = new JsonArray(),
            },
        };
    }

    /// <summary>GPT-2's byte → character table (printable bytes stand for themselves, the others from U+0100 up).</summary>
    private static char ByteChar(int b)
    {
        int next = 256;
        for (int i = 0; i < 256; i++)
        {
            bool printable = i is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            char c = printable ? (char)i : (char)next++;
            if (i == b) return c;
        }
        throw new ArgumentOutOfRangeException(nameof(b));
    }

    private static List<(string Name, long[] Shape, float[] Values)> Weights(Random random)
    {
        float[] Normal(long count, double scale, double offset = 0)
        {
            var values = new float[count];
            for (long i = 0; i < count; i++)
            {
                double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
                values[i] = (float)(offset + scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }
            return values;
        }
        var weights = new List<(string, long[], float[])>();
        void Add(string name, params long[] shape) => weights.Add((name, shape, Normal(shape.Aggregate(1L, (a, b) => a * b), 0.3)));
        void Norm(string name) => weights.Add((name, [Hidden], Normal(Hidden, 0.05, offset: 1)));

        Add("model.embed_tokens.weight", Vocab, Hidden);
        for (int layer = 0; layer < Layers; layer++)
        {
            string p = $"model.layers.{layer}.";
            Add(p + "self_attn.q_proj.weight", Heads * HeadDim, Hidden);
            Add(p + "self_attn.k_proj.weight", KvHeads * HeadDim, Hidden);
            Add(p + "self_attn.v_proj.weight", KvHeads * HeadDim, Hidden);
            Add(p + "self_attn.o_proj.weight", Hidden, Heads * HeadDim);
            Add(p + "mlp.gate_proj.weight", Intermediate, Hidden);
            Add(p + "mlp.up_proj.weight", Intermediate, Hidden);
            Add(p + "mlp.down_proj.weight", Hidden, Intermediate);
            Norm(p + "input_layernorm.weight");
            Norm(p + "post_attention_layernorm.weight");
        }
        Norm("model.norm.weight");
        var head = Normal((long)Vocab * Hidden, 0.3);
        for (int token = 0; token < Vocab; token++)
            if (token is < 'a' or > 'z') Array.Clear(head, token * Hidden, Hidden);
        weights.Add(("lm_head.weight", [Vocab, Hidden], head));
        return weights;
    }

    /// <summary>safetensors: an 8-byte little-endian header length, the JSON header (padded with spaces to 8 bytes), then the data.</summary>
    private static void WriteSafetensors(string path, List<(string Name, long[] Shape, float[] Values)> tensors)
    {
        var header = new JsonObject();
        long offset = 0;
        foreach (var (name, shape, values) in tensors)
        {
            long end = offset + values.LongLength * sizeof(float);
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, end),
            };
            offset = end;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (headerBytes.Length + 7) / 8 * 8;
        using var file = new BinaryWriter(File.Create(path));
        file.Write((ulong)padded);
        file.Write(headerBytes);
        for (int i = headerBytes.Length; i < padded; i++) file.Write((byte)' ');
        foreach (var (_, _, values) in tensors)
            foreach (float value in values) file.Write(value); // BinaryWriter writes little-endian
    }
}
