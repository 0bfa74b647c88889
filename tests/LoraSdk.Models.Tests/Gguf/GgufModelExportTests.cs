using LoraSdk.Models.Gguf;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>What the model and adapter exports write (names, metadata, reordering) and what they refuse.</summary>
public sealed class GgufModelExportTests
{
    [Fact]
    public void Llama_export_writes_llama_cpp_names_metadata_and_rope_freqs()
    {
        var (spec, weights) = LlamaCppParityTests.Model("llama3-rope");
        weights["model.layers.0.self_attn.rotary_emb.inv_freq"] = ones(8); // older checkpoints carry it; llama.cpp recomputes it
        using var dir = new TempDirectory();
        string path = dir.File("m.gguf");
        GgufModelExport.WriteModel(path, spec, weights, GgufTensorType.F16);

        GgufTestReader file = GgufTestReader.Read(path);
        Assert.Equal("llama", file.Metadata["general.architecture"].Value);
        Assert.Equal(1u, file.Metadata["general.file_type"].Value);
        Assert.Equal((4u, (object)8u), file.Metadata["llama.attention.head_count"]);
        Assert.Equal((4u, (object)2u), file.Metadata["llama.attention.head_count_kv"]);
        Assert.Equal((4u, (object)16u), file.Metadata["llama.rope.dimension_count"]);
        Assert.Equal((6u, (object)1e-5f), file.Metadata["llama.attention.layer_norm_rms_epsilon"]);
        Assert.Equal("gpt2", file.Metadata["tokenizer.ggml.model"].Value);
        var names = file.Tensors.Select(t => t.Name).ToHashSet();
        string[] expected = ["token_embd.weight", "output_norm.weight", "output.weight", "rope_freqs.weight",
            .. Enumerable.Range(0, 2).SelectMany(l => new[] { "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down" }.Select(n => $"blk.{l}.{n}.weight"))];
        Assert.Equal(expected.Order(), names.Order());
        // Norms and rope_freqs stay F32 in an F16 file; the weights are F16.
        Assert.Equal((uint)GgufTensorType.F32, file.Tensors.Single(t => t.Name == "blk.0.attn_norm.weight").Type);
        Assert.Equal((uint)GgufTensorType.F16, file.Tensors.Single(t => t.Name == "blk.0.attn_q.weight").Type);

        // rope_freqs: the divisor between HF's unscaled and llama3-scaled inverse frequencies.
        var plain = HfDecoderReference.InverseFrequencies(spec with { RopeScaling = null });
        var scaled = HfDecoderReference.InverseFrequencies(spec);
        float[] factors = MemoryMarshalFloats(file.Data("rope_freqs.weight", 8 * 4));
        double[] expectedFactors = (plain / scaled).data<double>().ToArray();
        Assert.Equal(expectedFactors.Select(f => (float)f), factors);
        Assert.Contains(factors, f => f == 1f);
        Assert.Contains(factors, f => f == 8f);
        Assert.Contains(factors, f => f > 1f && f < 8f);
    }

    [Fact]
    public void Q_and_k_rows_are_reordered_per_head_for_llama_only()
    {
        var (spec, weights) = LlamaCppParityTests.Model("llama-gqa");
        var (qwenSpec, qwenWeights) = LlamaCppParityTests.Model("qwen2-tied-bias");
        using var dir = new TempDirectory();
        GgufModelExport.WriteModel(dir.File("l.gguf"), spec, weights, GgufTensorType.F32);
        GgufModelExport.WriteModel(dir.File("q.gguf"), qwenSpec, qwenWeights, GgufTensorType.F32);
        GgufTestReader llama = GgufTestReader.Read(dir.File("l.gguf")), qwen = GgufTestReader.Read(dir.File("q.gguf"));

        float[,] k = Rows(llama, "blk.1.attn_k.weight", 32, 64);
        Tensor hf = weights["model.layers.1.self_attn.k_proj.weight"];
        for (int head = 0; head < 2; head++)
            for (int j = 0; j < 8; j++)
                for (int pair = 0; pair < 2; pair++)
                    for (int c = 0; c < 64; c += 9) // HF row (head, pair half, j) -> GGUF row (head, j, pair)
                        Assert.Equal(hf[head * 16 + pair * 8 + j, c].item<float>(), k[head * 16 + 2 * j + pair, c]);
        float[,] v = Rows(llama, "blk.1.attn_v.weight", 32, 64);
        Assert.Equal(weights["model.layers.1.self_attn.v_proj.weight"][5, 7].item<float>(), v[5, 7]);
        float[,] qwenK = Rows(qwen, "blk.0.attn_k.weight", 16, 64);
        Assert.Equal(qwenWeights["model.layers.0.self_attn.k_proj.weight"][3, 2].item<float>(), qwenK[3, 2]);
    }

    [Fact]
    public void A_short_vocabulary_is_padded_to_the_embedding_rows()
    {
        var (spec, weights) = LlamaCppParityTests.Model("qwen2-tied-bias");
        GgufTokenizer tokenizer = spec.Tokenizer! with
        {
            Tokens = spec.Tokenizer!.Tokens.Take(280).ToArray(),
            TokenTypes = spec.Tokenizer.TokenTypes!.Take(280).ToArray(),
        };
        using var dir = new TempDirectory();
        string path = dir.File("m.gguf");
        GgufModelExport.WriteModel(path, spec with { Tokenizer = tokenizer }, weights, GgufTensorType.F32);
        var tokens = ((uint, object[]))GgufTestReader.Read(path).Metadata["tokenizer.ggml.tokens"].Value;
        Assert.Equal(288, tokens.Item2.Length);
        Assert.Equal("[PAD287]", tokens.Item2[287]);
        using var llama = LlamaCppModel.Load(path);
        Assert.Equal(288, llama.VocabSize);
    }

    [Fact]
    public void Bad_models_are_refused_naming_the_tensor_and_nothing_is_written()
    {
        var (spec, weights) = LlamaCppParityTests.Model("llama-gqa");
        using var dir = new TempDirectory();
        string path = dir.File("m.gguf");
        string Refusal(GgufModelSpec s, Dictionary<string, Tensor> w) =>
            Assert.Throws<ArgumentException>(() => GgufModelExport.WriteModel(path, s, w, GgufTensorType.F32)).Message;

        Assert.Contains("model.layers.1.mlp.up_proj.weight", Refusal(spec, Without(weights, "model.layers.1.mlp.up_proj.weight")));
        Assert.Contains("lm_head.weight", Refusal(spec, Without(weights, "lm_head.weight")));
        Assert.Contains("model.layers.2.mlp.up_proj.weight", Refusal(spec, With(weights, "model.layers.2.mlp.up_proj.weight", ones(96, 64))));
        Assert.Contains("model.layers.0.mlp.up_proj.bias", Refusal(spec, With(weights, "model.layers.0.mlp.up_proj.bias", ones(96))));
        Assert.Contains("model.layers.0.self_attn.k_proj.weight", Refusal(spec, With(weights, "model.layers.0.self_attn.k_proj.weight", ones(64, 64))));
        Assert.Contains("KvHeads", Refusal(spec with { KvHeads = 3 }, weights));
        Assert.Contains("Tokenizer", Refusal(spec with { Tokenizer = null }, weights));
        Assert.Contains("SlidingWindow (128)", Refusal(spec with { SlidingWindow = 128 }, weights));
        GgufModelExport.WriteModel(dir.File("windowed.gguf"), spec with { SlidingWindow = 256 }, weights, GgufTensorType.F32); // window ≥ context: exact
        Assert.Contains("rope_freqs", Refusal(TinyDecoder.Qwen2Spec() with { RopeScaling = new GgufLlama3RopeScaling(8, 1, 4, 64) }, weights));
        var (qwenSpec, qwenWeights) = LlamaCppParityTests.Model("qwen2-tied-bias");
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", Refusal(qwenSpec, Without(qwenWeights, "model.layers.0.self_attn.q_proj.bias")));
        Assert.Contains("model.layers.0.self_attn.o_proj.bias", Refusal(qwenSpec, With(qwenWeights, "model.layers.0.self_attn.o_proj.bias", ones(64))));
        Assert.Contains("'lm_head.weight' differs", Refusal(qwenSpec, With(qwenWeights, "lm_head.weight", ones(288, 64))));
        // An lm_head equal to the embedding (a tied checkpoint that stores both) is fine.
        GgufModelExport.WriteModel(dir.File("tied.gguf"), qwenSpec, With(qwenWeights, "lm_head.weight", qwenWeights["model.embed_tokens.weight"].clone()), GgufTensorType.F32);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Lora_adapter_carries_alpha_and_reorders_b_of_q_and_k()
    {
        var spec = TinyDecoder.LlamaSpec();
        var lora = new Dictionary<string, Tensor>
        {
            ["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"] = randn(2, 64),
            ["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"] = arange(128 * 2, dtype: float32).reshape(128, 2),
            ["base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"] = randn(2, 96),
            ["base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"] = arange(64 * 2, dtype: float32).reshape(64, 2),
        };
        using var dir = new TempDirectory();
        string path = dir.File("a.gguf");
        GgufModelExport.WriteLoraAdapter(path, spec, alpha: 16, rank: 2, lora);

        GgufTestReader file = GgufTestReader.Read(path);
        Assert.Equal("adapter", file.Metadata["general.type"].Value);
        Assert.Equal("lora", file.Metadata["adapter.type"].Value);
        Assert.Equal((6u, (object)16f), file.Metadata["adapter.lora.alpha"]);
        Assert.Equal(new[] { "blk.0.attn_q.weight.lora_a", "blk.0.attn_q.weight.lora_b", "blk.1.ffn_down.weight.lora_a", "blk.1.ffn_down.weight.lora_b" },
            file.Tensors.Select(t => t.Name));
        Assert.Equal(new ulong[] { 2, 128 }, file.Tensors[1].Dims);
        float[,] b = Rows(file, "blk.0.attn_q.weight.lora_b", 128, 2);
        Assert.Equal(8 * 2, b[1, 0]);   // head 0: GGUF row 1 = HF row 8 (second half, j = 0)
        Assert.Equal(17 * 2, b[18, 0]); // head 1: GGUF row 16 + 2 = HF row 16 + 1
        float[,] down = Rows(file, "blk.1.ffn_down.weight.lora_b", 64, 2);
        Assert.Equal(5 * 2 + 1, down[5, 1]);
    }

    [Fact]
    public void Bad_adapters_are_refused_naming_the_module()
    {
        var spec = TinyDecoder.LlamaSpec();
        using var dir = new TempDirectory();
        string path = dir.File("a.gguf");
        string Refusal(GgufModelSpec s, int rank, params (string Key, Tensor Value)[] tensors) =>
            Assert.Throws<ArgumentException>(() => GgufModelExport.WriteLoraAdapter(path, s, 8, rank, tensors.ToDictionary(t => t.Key, t => t.Value))).Message;

        const string q = "model.layers.0.self_attn.q_proj";
        Assert.Contains(q, Refusal(spec, 2, (q + ".lora_A.weight", randn(2, 64))));
        Assert.Contains(q + ".lora_A.weight", Refusal(spec, 4, (q + ".lora_A.weight", randn(2, 64)), (q + ".lora_B.weight", randn(128, 2))));
        Assert.Contains("model.embed_tokens", Refusal(spec, 2, ("model.embed_tokens.lora_A.weight", randn(2, 288)), ("model.embed_tokens.lora_B.weight", randn(64, 2))));
        Assert.Contains("lora_magnitude_vector", Refusal(spec, 2, (q + ".lora_magnitude_vector", randn(128))));
        Assert.Contains("tied", Refusal(TinyDecoder.Qwen2Spec(), 2, ("lm_head.lora_A.weight", randn(2, 64)), ("lm_head.lora_B.weight", randn(288, 2))));
        Assert.False(File.Exists(path));
    }

    private static Dictionary<string, Tensor> Without(Dictionary<string, Tensor> w, string key) => w.Where(kv => kv.Key != key).ToDictionary();

    private static Dictionary<string, Tensor> With(Dictionary<string, Tensor> w, string key, Tensor value) => new(w) { [key] = value };

    private static float[] MemoryMarshalFloats(byte[] bytes) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();

    private static float[,] Rows(GgufTestReader file, string name, int rows, int cols)
    {
        float[] flat = MemoryMarshalFloats(file.Data(name, rows * cols * 4));
        var result = new float[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                result[r, c] = flat[r * cols + c];
        return result;
    }
}
