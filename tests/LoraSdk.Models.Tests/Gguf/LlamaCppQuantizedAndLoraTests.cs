using LoraSdk.Models.Gguf;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>F16 and Q8_0 exports, and GGUF LoRA adapters applied by llama.cpp, against the float64 reference.</summary>
public sealed class LlamaCppQuantizedAndLoraTests(ITestOutputHelper output)
{
    // Measured (max over positions and prompts): F16 2.7e-3, Q8_0 5.4e-2. llama.cpp's CPU matmuls convert the
    // activations to the weight's type too (F16, or Q8_0 blocks), and these tiny models' sharp attention amplifies
    // that; the bytes themselves are checked exactly against ggml's own quantizer in GgufWriterTests.
    [Theory]
    [InlineData("llama-gqa", GgufTensorType.F16, 5e-3)]
    [InlineData("qwen2-tied-bias", GgufTensorType.F16, 5e-3)]
    [InlineData("llama-gqa", GgufTensorType.Q8_0, 1e-1)]
    [InlineData("qwen2-tied-bias", GgufTensorType.Q8_0, 1e-1)]
    public void Lower_precision_export_loads_and_stays_close(string model, GgufTensorType type, double tolerance)
    {
        var (spec, weights) = LlamaCppParityTests.Model(model);
        using var dir = new TempDirectory();
        string path = dir.File("model.gguf");
        GgufModelExport.WriteModel(path, spec, weights, type);

        using var llama = LlamaCppModel.Load(path);
        foreach (int[] prompt in TinyDecoder.Prompts(seed: 5))
        {
            using var scope = NewDisposeScope();
            double error = GgufParityAssert.MaxRelativeError(llama.Logits(prompt), HfDecoderReference.Logits(spec, weights, prompt));
            output.WriteLine($"{model} {type}: {prompt.Length} tokens, max relative error {error:E2}");
            Assert.True(error <= tolerance, $"{model} {type}, prompt of {prompt.Length}: relative error {error:E2} > {tolerance:E0}");
        }
    }

    // Measured: F32 adapters 1.0e-6 (bound 1e-4); an F16 adapter on the F32 model 3.6e-4 (bound 1e-3).
    [Theory]
    [InlineData("llama-gqa", true, GgufTensorType.F32, 1e-4)]
    [InlineData("llama3-rope", false, GgufTensorType.F32, 1e-4)]
    [InlineData("qwen2-tied-bias", true, GgufTensorType.F32, 1e-4)]
    [InlineData("llama-gqa", false, GgufTensorType.F16, 1e-3)]
    public void Lora_adapter_applied_by_llama_cpp_matches_the_merged_reference(string model, bool peftPrefix, GgufTensorType adapterType, double tolerance)
    {
        const int rank = 4;
        const double alpha = 8;
        var (spec, weights) = LlamaCppParityTests.Model(model);
        Dictionary<string, Tensor> lora = RandomLora(spec, rank, seed: 17, prefix: peftPrefix ? "base_model.model." : "");
        using var dir = new TempDirectory();
        string modelPath = dir.File("model.gguf"), adapterPath = dir.File("adapter.gguf");
        GgufModelExport.WriteModel(modelPath, spec, weights, GgufTensorType.F32);
        GgufModelExport.WriteLoraAdapter(adapterPath, spec, alpha, rank, lora, adapterType);

        // PEFT's forward: W x + (alpha / r) B A x, i.e. the weight W + (alpha / r) B A.
        var merged = new Dictionary<string, Tensor>(weights);
        foreach (var (key, a) in lora.Where(kv => kv.Key.EndsWith(".lora_A.weight", StringComparison.Ordinal)))
        {
            string module = key[(peftPrefix ? "base_model.model.".Length : 0)..^".lora_A.weight".Length];
            Tensor b = lora[key.Replace(".lora_A.", ".lora_B.", StringComparison.Ordinal)];
            merged[module + ".weight"] = weights[module + ".weight"].to(float64) + alpha / rank * b.to(float64).matmul(a.to(float64));
        }

        using var withAdapter = LlamaCppModel.Load(modelPath, adapterPath);
        double worstWithout = 0;
        foreach (int[] prompt in TinyDecoder.Prompts(seed: 5))
        {
            using var scope = NewDisposeScope();
            float[][] logits = withAdapter.Logits(prompt);
            double error = GgufParityAssert.MaxRelativeError(logits, HfDecoderReference.Logits(spec, merged, prompt));
            worstWithout = Math.Max(worstWithout, GgufParityAssert.MaxRelativeError(logits, HfDecoderReference.Logits(spec, weights, prompt)));
            output.WriteLine($"{model} + {adapterType} LoRA: {prompt.Length} tokens, max relative error {error:E2}");
            Assert.True(error <= tolerance, $"{model} + {adapterType} LoRA, prompt of {prompt.Length}: relative error {error:E2} > {tolerance:E0}");
        }
        // The adapter must actually change the output, or the comparison above proves nothing.
        Assert.True(worstWithout > 1e-2, $"The adapter changed the logits by only {worstWithout:E2}.");
    }

    /// <summary>A random LoRA on every linear layer (B non-zero, unlike PEFT's initialisation, so it has an effect).</summary>
    private static Dictionary<string, Tensor> RandomLora(GgufModelSpec spec, int rank, int seed, string prefix)
    {
        var generator = new Generator((ulong)seed);
        long h = spec.HiddenSize, q = spec.Heads * spec.HeadDim, kv = spec.KvHeads * spec.HeadDim, i = spec.IntermediateSize;
        var lora = new Dictionary<string, Tensor>();
        for (int l = 0; l < spec.Layers; l++)
        {
            foreach (var (module, rows, cols) in new[]
            {
                ("self_attn.q_proj", q, h), ("self_attn.k_proj", kv, h), ("self_attn.v_proj", kv, h), ("self_attn.o_proj", h, q),
                ("mlp.gate_proj", i, h), ("mlp.up_proj", i, h), ("mlp.down_proj", h, i),
            })
            {
                string key = $"{prefix}model.layers.{l}.{module}";
                lora[key + ".lora_A.weight"] = (randn([rank, cols], generator: generator) / Math.Sqrt(cols)).to(float32);
                lora[key + ".lora_B.weight"] = (randn([rows, rank], generator: generator) * 0.05).to(float32);
            }
        }
        if (!spec.TieWordEmbeddings)
        {
            lora[prefix + "lm_head.lora_A.weight"] = (randn([rank, h], generator: generator) / Math.Sqrt(h)).to(float32);
            lora[prefix + "lm_head.lora_B.weight"] = (randn([spec.VocabSize, rank], generator: generator) * 0.05).to(float32);
        }
        return lora;
    }
}
