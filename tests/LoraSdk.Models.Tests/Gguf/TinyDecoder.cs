using LoraSdk.Models.Gguf;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>
/// Tiny random decoder LLMs (HuggingFace-named float32 tensors plus their spec) for the GGUF tests. Weights are
/// scaled so activations stay O(1) and the logits spread over several units: greedy choices are decisive and a
/// wrong rotation or head order shows up as a large error, not a rounding one.
/// </summary>
internal static class TinyDecoder
{
    public const int Vocab = 288;

    /// <summary>Llama with GQA (8 query heads over 2 KV heads), untied output, head_dim 16 with hidden 64 (head_dim ≠ hidden/heads, which llama.cpp's llama reads from key_length).</summary>
    public static GgufModelSpec LlamaSpec(GgufRopeScaling? scaling = null) => new(
        GgufArchitecture.Llama, Vocab, HiddenSize: 64, Layers: 2, Heads: 8, KvHeads: 2, HeadDim: 16, IntermediateSize: 96,
        RmsNormEps: 1e-5, RopeTheta: 10000, scaling, ContextLength: 256, TieWordEmbeddings: false,
        BosTokenId: 1, EosTokenId: 2, Tokenizer: Vocabulary(), Name: "tiny-llama");

    /// <summary>Qwen2: q/k/v biases, tied embeddings, 4 heads over 1 KV head.</summary>
    public static GgufModelSpec Qwen2Spec() => new(
        GgufArchitecture.Qwen2, Vocab, HiddenSize: 64, Layers: 2, Heads: 4, KvHeads: 1, HeadDim: 16, IntermediateSize: 64,
        RmsNormEps: 1e-6, RopeTheta: 1000000, RopeScaling: null, ContextLength: 256, TieWordEmbeddings: true,
        BosTokenId: null, EosTokenId: 2, Tokenizer: Vocabulary(), Name: "tiny-qwen2");

    /// <summary>
    /// A minimal byte-level BPE vocabulary llama.cpp accepts: ASCII token texts (every character is in GPT-2's byte
    /// map, which llama.cpp checks when it caches token pieces), no merges. The tests feed token ids, so the
    /// tokenizer only has to load.
    /// </summary>
    public static GgufTokenizer Vocabulary() => new(
        "gpt2",
        Enumerable.Range(0, Vocab).Select(i => i switch { 1 => "<s>", 2 => "</s>", _ => $"t{i}" }).ToArray(),
        TokenTypes: Enumerable.Range(0, Vocab).Select(i => i is 1 or 2 ? GgufTokenType.Control : GgufTokenType.Normal).ToArray(),
        Merges: [],
        PreTokenizer: "default");

    /// <summary>Random HF-named tensors for <paramref name="spec"/>, reproducible from <paramref name="seed"/>.</summary>
    public static Dictionary<string, Tensor> Weights(GgufModelSpec spec, int seed)
    {
        var generator = new Generator((ulong)seed);
        Tensor Random(double std, params long[] shape) => (randn(shape, generator: generator) * std).to(float32);
        Tensor Linear(long rows, long cols) => Random(1.0 / Math.Sqrt(cols), rows, cols);
        Tensor Norm(long size) => 1 + Random(0.1, size);
        long h = spec.HiddenSize, q = spec.Heads * spec.HeadDim, kv = spec.KvHeads * spec.HeadDim, i = spec.IntermediateSize;
        var w = new Dictionary<string, Tensor>
        {
            ["model.embed_tokens.weight"] = Random(1.0, spec.VocabSize, h),
            ["model.norm.weight"] = Norm(h),
        };
        if (!spec.TieWordEmbeddings) w["lm_head.weight"] = Random(0.5, spec.VocabSize, h);
        for (int l = 0; l < spec.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            w[p + "input_layernorm.weight"] = Norm(h);
            w[p + "post_attention_layernorm.weight"] = Norm(h);
            // Larger q/k so the attention pattern is far from uniform and RoPE matters.
            w[p + "self_attn.q_proj.weight"] = Linear(q, h) * 2;
            w[p + "self_attn.k_proj.weight"] = Linear(kv, h) * 2;
            w[p + "self_attn.v_proj.weight"] = Linear(kv, h);
            w[p + "self_attn.o_proj.weight"] = Linear(h, q);
            w[p + "mlp.gate_proj.weight"] = Linear(i, h);
            w[p + "mlp.up_proj.weight"] = Linear(i, h);
            w[p + "mlp.down_proj.weight"] = Linear(h, i);
            if (spec.Architecture == GgufArchitecture.Qwen2)
            {
                w[p + "self_attn.q_proj.bias"] = Random(0.5, q);
                w[p + "self_attn.k_proj.bias"] = Random(0.5, kv);
                w[p + "self_attn.v_proj.bias"] = Random(0.5, kv);
            }
        }
        return w;
    }

    /// <summary>Prompts of different lengths (ids 3.. avoid BOS/EOS).</summary>
    public static IReadOnlyList<int[]> Prompts(int seed)
    {
        var random = new Random(seed);
        return new[] { 1, 7, 23, 61 }.Select(n => Enumerable.Range(0, n).Select(_ => random.Next(3, Vocab)).ToArray()).ToArray();
    }
}
