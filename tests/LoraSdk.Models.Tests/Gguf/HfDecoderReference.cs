using LoraSdk.Models.Gguf;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>
/// A float64 decoder LLM with transformers' semantics (LlamaForCausalLM / Qwen2ForCausalLM), written from the math
/// on HuggingFace-named tensors, to compare llama.cpp and CausalLM against: RMSNorm <c>w · x / sqrt(mean(x²) + eps)</c>,
/// RoPE with rotate_half (dimension j pairs with j + d/2) and <c>inv_freq = 1/θ^(2j/d)</c> (linear: divided by the
/// factor; llama3: banded), GQA (query head h reads KV head h / (heads / kv_heads)), causal softmax attention scaled
/// by 1/sqrt(d), SwiGLU MLP <c>down(silu(gate x) · up x)</c>, biases where the tensors have them, tied output when
/// the spec says so. It shares no code with the exporter.
/// </summary>
internal static class HfDecoderReference
{
    /// <summary>Float64 logits [tokens, vocab] for every position of <paramref name="tokens"/> (positions 0..n-1).</summary>
    public static Tensor Logits(GgufModelSpec spec, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyList<int> tokens)
    {
        using var scope = NewDisposeScope();
        Tensor W(string name) => tensors.TryGetValue(name, out Tensor? t)
            ? t.detach().to(float64)
            : throw new KeyNotFoundException($"Reference model: tensor '{name}' is missing.");
        Tensor? B(string name) => tensors.TryGetValue(name, out Tensor? t) ? t.detach().to(float64) : null;
        Tensor Linear(Tensor x, string module)
        {
            Tensor y = x.matmul(W(module + ".weight").t());
            return B(module + ".bias") is { } bias ? y + bias : y;
        }
        Tensor RmsNorm(Tensor x, string weight) =>
            W(weight) * (x / (x.pow(2).mean([-1], keepdim: true) + spec.RmsNormEps).sqrt());

        int n = tokens.Count, d = spec.HeadDim, heads = spec.Heads, kvHeads = spec.KvHeads;
        Tensor ids = tensor(tokens.Select(t => (long)t).ToArray());
        Tensor x = W("model.embed_tokens.weight").index_select(0, ids); // [n, hidden]

        Tensor angles = arange(n, dtype: float64).unsqueeze(1) * InverseFrequencies(spec).unsqueeze(0); // [n, d/2]
        Tensor cos = cat([angles.cos(), angles.cos()], 1), sin = cat([angles.sin(), angles.sin()], 1); // [n, d]
        Tensor Rotate(Tensor t) // t: [h, n, d]
        {
            Tensor first = t.narrow(-1, 0, d / 2), second = t.narrow(-1, d / 2, d / 2);
            return t * cos + cat([-second, first], -1) * sin;
        }
        Tensor causal = ones(n, n, dtype: @bool).triu(1);

        for (int l = 0; l < spec.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            Tensor h = RmsNorm(x, p + "input_layernorm.weight");
            Tensor q = Rotate(Linear(h, p + "self_attn.q_proj").view(n, heads, d).transpose(0, 1));
            Tensor k = Rotate(Linear(h, p + "self_attn.k_proj").view(n, kvHeads, d).transpose(0, 1));
            Tensor v = Linear(h, p + "self_attn.v_proj").view(n, kvHeads, d).transpose(0, 1);
            k = k.repeat_interleave(heads / kvHeads, 0); // query head h reads KV head h / group
            v = v.repeat_interleave(heads / kvHeads, 0);
            Tensor scores = q.matmul(k.transpose(1, 2)) / Math.Sqrt(d);
            Tensor attention = scores.masked_fill(causal, double.NegativeInfinity).softmax(-1).matmul(v); // [heads, n, d]
            x = x + Linear(attention.transpose(0, 1).reshape(n, heads * d), p + "self_attn.o_proj");

            Tensor m = RmsNorm(x, p + "post_attention_layernorm.weight");
            x = x + Linear(nn.functional.silu(Linear(m, p + "mlp.gate_proj")) * Linear(m, p + "mlp.up_proj"), p + "mlp.down_proj");
        }
        x = RmsNorm(x, "model.norm.weight");
        Tensor output = spec.TieWordEmbeddings ? W("model.embed_tokens.weight") : W("lm_head.weight");
        return x.matmul(output.t()).MoveToOuterDisposeScope();
    }

    /// <summary>Greedy continuation, recomputing the whole sequence each step (no cache: a second, plainer path).</summary>
    public static int[] Greedy(GgufModelSpec spec, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyList<int> prompt, int newTokens)
    {
        var sequence = prompt.ToList();
        var generated = new List<int>();
        while (generated.Count < newTokens)
        {
            using var scope = NewDisposeScope();
            int next = (int)Logits(spec, tensors, sequence)[sequence.Count - 1].argmax().item<long>();
            generated.Add(next);
            sequence.Add(next);
        }
        return generated.ToArray();
    }

    /// <summary>transformers' inverse frequencies, with linear or llama3 scaling, in float64.</summary>
    internal static Tensor InverseFrequencies(GgufModelSpec spec)
    {
        int d = spec.HeadDim;
        double[] inv = Enumerable.Range(0, d / 2).Select(j => 1.0 / Math.Pow(spec.RopeTheta, 2.0 * j / d)).ToArray();
        switch (spec.RopeScaling)
        {
            case GgufLinearRopeScaling linear:
                inv = inv.Select(f => f / linear.Factor).ToArray();
                break;
            case GgufLlama3RopeScaling s:
                double old = s.OriginalMaxPositionEmbeddings;
                inv = inv.Select(f =>
                {
                    double wavelength = 2 * Math.PI / f;
                    if (wavelength < old / s.HighFreqFactor) return f;
                    if (wavelength > old / s.LowFreqFactor) return f / s.Factor;
                    double smooth = (old / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    return (1 - smooth) * f / s.Factor + smooth * f;
                }).ToArray();
                break;
        }
        return tensor(inv);
    }
}
