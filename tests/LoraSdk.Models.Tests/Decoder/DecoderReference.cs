using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Decoder;

/// <summary>
/// An independent float64 implementation of HuggingFace's Llama/Qwen2 forward, written from the math with plain tensor
/// ops and loops (no LoraSdk class): RMSNorm, rotate_half RoPE with its own llama3/linear frequency code, GQA by explicit
/// head mapping, causal + padding mask, SwiGLU, tied or separate head. Positions are the running count of real tokens.
/// The one float64 reference of the decoder tests: the GGUF tests reach it through <c>Gguf.HfDecoderReference</c>.
/// </summary>
internal static class DecoderReference
{
    /// <summary>What the reference needs of a model's shape (head_dim given, so it may differ from hidden / heads).</summary>
    public sealed record Shape(int Layers, int Heads, int KvHeads, int HeadDim, double Eps, double Theta);

    /// <inheritdoc cref="Logits(Shape, IReadOnlyDictionary{string, Tensor}, long[,], long[,], ValueTuple{string, double, double, double, double}?)"/>
    public static Tensor Logits(TinyDecoderSpec spec, IReadOnlyDictionary<string, Tensor> w, long[,] ids, long[,]? mask = null,
        (string Type, double Factor, double Low, double High, double Original)? scaling = null) =>
        Logits(new Shape(spec.Layers, spec.Heads, spec.KvHeads, spec.HeadDim, spec.Eps, spec.Theta), w, ids, mask, scaling);

    /// <param name="spec">The model's shape.</param>
    /// <param name="w">Float64 weights by HF name (adapted weights already folded in by the caller).</param>
    /// <param name="ids">batch × t token ids.</param>
    /// <param name="mask">batch × t, 1 for real tokens (null: all real).</param>
    /// <param name="scaling">(type, factor, low, high, original) or null.</param>
    public static Tensor Logits(Shape spec, IReadOnlyDictionary<string, Tensor> w, long[,] ids, long[,]? mask = null,
        (string Type, double Factor, double Low, double High, double Original)? scaling = null)
    {
        int batch = ids.GetLength(0), t = ids.GetLength(1), d = spec.HeadDim;
        mask ??= Ones(batch, t);
        var inv = InverseFrequencies(d, spec.Theta, scaling);
        var outputs = new List<Tensor>();
        for (int b = 0; b < batch; b++)
        {
            // Positions: count of real tokens so far − 1 (1 at padding, as transformers fills them).
            var positions = new double[t];
            int real = 0;
            for (int i = 0; i < t; i++) positions[i] = mask[b, i] == 1 ? real++ : 1;
            var x = stack(Enumerable.Range(0, t).Select(i => w["model.embed_tokens.weight"][ids[b, i]]).ToArray()); // t × H
            for (int layer = 0; layer < spec.Layers; layer++)
            {
                string p = $"model.layers.{layer}.";
                var h = Rms(x, w[p + "input_layernorm.weight"], spec.Eps);
                var q = Linear(h, w, p + "self_attn.q_proj");
                var k = Linear(h, w, p + "self_attn.k_proj");
                var v = Linear(h, w, p + "self_attn.v_proj");
                var heads = new List<Tensor>();
                for (int head = 0; head < spec.Heads; head++)
                {
                    int kvHead = head / (spec.Heads / spec.KvHeads);
                    var qh = Rope(q.narrow(1, head * d, d), positions, inv);
                    var kh = Rope(k.narrow(1, kvHead * d, d), positions, inv);
                    var vh = v.narrow(1, kvHead * d, d);
                    var scores = qh.matmul(kh.t()) / Math.Sqrt(d);
                    var allowed = new double[t, t];
                    for (int i = 0; i < t; i++)
                        for (int j = 0; j < t; j++)
                            allowed[i, j] = j <= i && mask[b, j] == 1 ? 0 : double.MinValue;
                    scores = scores + tensor(allowed, dtype: ScalarType.Float64);
                    heads.Add(scores.softmax(-1).matmul(vh));
                }
                x = x + Linear(cat(heads.ToArray(), 1), w, p + "self_attn.o_proj");
                var h2 = Rms(x, w[p + "post_attention_layernorm.weight"], spec.Eps);
                var gate = Linear(h2, w, p + "mlp.gate_proj");
                x = x + Linear(gate * gate.sigmoid() * Linear(h2, w, p + "mlp.up_proj"), w, p + "mlp.down_proj");
            }
            x = Rms(x, w["model.norm.weight"], spec.Eps);
            var head_ = w.TryGetValue("lm_head.weight", out var lm) ? lm : w["model.embed_tokens.weight"];
            outputs.Add(x.matmul(head_.t()));
        }
        return stack(outputs.ToArray());
    }

    public static long[,] Ones(int batch, int t)
    {
        var m = new long[batch, t];
        for (int b = 0; b < batch; b++) for (int i = 0; i < t; i++) m[b, i] = 1;
        return m;
    }

    private static Tensor Linear(Tensor x, IReadOnlyDictionary<string, Tensor> w, string name) =>
        w.TryGetValue(name + ".bias", out var bias) ? x.matmul(w[name + ".weight"].t()) + bias : x.matmul(w[name + ".weight"].t());

    private static Tensor Rms(Tensor x, Tensor weight, double eps) => weight * (x / (x.pow(2).mean([-1L], keepdim: true) + eps).sqrt());

    /// <summary>rotate_half: pair i with i + d/2; angle = position · inv_freq[i].</summary>
    private static Tensor Rope(Tensor x, double[] positions, double[] inv)
    {
        int t = (int)x.shape[0], d = (int)x.shape[1], half = d / 2;
        var values = x.data<double>().ToArray();
        var result = new double[t, d];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < half; j++)
            {
                double angle = positions[i] * inv[j], c = Math.Cos(angle), s = Math.Sin(angle);
                double a = values[i * d + j], b = values[i * d + j + half];
                result[i, j] = a * c - b * s;
                result[i, j + half] = b * c + a * s;
            }
        return tensor(result, dtype: ScalarType.Float64);
    }

    /// <summary>transformers' inv_freq (linear: divided by the factor; llama3: banded), in float64.</summary>
    public static double[] InverseFrequencies(int d, double theta, (string Type, double Factor, double Low, double High, double Original)? scaling)
    {
        var inv = Enumerable.Range(0, d / 2).Select(i => Math.Pow(theta, -2.0 * i / d)).ToArray();
        if (scaling is not { } s) return inv;
        if (s.Type == "linear") return inv.Select(f => f / s.Factor).ToArray();
        return inv.Select(f =>
        {
            double wavelength = 2 * Math.PI / f;
            if (wavelength < s.Original / s.High) return f;             // high frequencies: unchanged
            if (wavelength > s.Original / s.Low) return f / s.Factor;   // low frequencies: slowed
            double smooth = (s.Original / wavelength - s.Low) / (s.High - s.Low);
            return (1 - smooth) * f / s.Factor + smooth * f;
        }).ToArray();
    }
}
