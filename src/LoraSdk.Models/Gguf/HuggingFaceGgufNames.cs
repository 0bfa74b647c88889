using System.Text.RegularExpressions;

namespace LoraSdk.Models.Gguf;

/// <summary>How a HuggingFace decoder tensor maps onto llama.cpp: its GGUF name, expected shape and row reordering.</summary>
/// <param name="GgufName">llama.cpp's name (<c>blk.0.attn_q.weight</c>).</param>
/// <param name="Shape">The torch shape the spec implies.</param>
/// <param name="PermuteHeads">Heads whose rows are reordered from rotate_half to adjacent pairs (0: no reordering).</param>
internal sealed record GgufTensorMapping(string GgufName, long[] Shape, int PermuteHeads);

/// <summary>
/// HuggingFace decoder tensor names (<c>model.layers.0.self_attn.q_proj.weight</c>, <c>lm_head.weight</c>, …) to
/// llama.cpp's (<c>blk.0.attn_q.weight</c>, <c>output.weight</c>, …), with the shape each must have.
/// </summary>
internal static partial class HuggingFaceGgufNames
{
    [GeneratedRegex(@"^model\.layers\.(\d+)\.(self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj|input_layernorm|post_attention_layernorm)\.(weight|bias)$")]
    private static partial Regex LayerTensor();

    /// <summary>Tensors some checkpoints carry that llama.cpp recomputes (RoPE's inverse frequencies).</summary>
    internal static bool IsIgnored(string hfName) => hfName.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);

    /// <summary>The mapping of <paramref name="hfName"/>, or null when the name is not a decoder tensor llama.cpp reads.</summary>
    internal static GgufTensorMapping? Map(string hfName, GgufModelSpec spec)
    {
        long h = spec.HiddenSize, v = spec.VocabSize, q = (long)spec.Heads * spec.HeadDim, kv = (long)spec.KvHeads * spec.HeadDim, i = spec.IntermediateSize;
        bool llama = spec.Architecture == GgufArchitecture.Llama;
        switch (hfName)
        {
            case "model.embed_tokens.weight": return new("token_embd.weight", [v, h], 0);
            case "model.norm.weight": return new("output_norm.weight", [h], 0);
            case "lm_head.weight": return new("output.weight", [v, h], 0);
        }
        Match m = LayerTensor().Match(hfName);
        if (!m.Success) return null;
        int layer = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (layer >= spec.Layers) return null;
        bool bias = m.Groups[5].Value == "bias";
        string block = $"blk.{layer}.";
        string suffix = bias ? ".bias" : ".weight";
        GgufTensorMapping Make(string name, long rows, long cols, int permuteHeads) =>
            new(block + name + suffix, bias ? [rows] : [rows, cols], permuteHeads);
        return m.Groups[2].Value switch
        {
            "input_layernorm" when !bias => new(block + "attn_norm.weight", [h], 0),
            "post_attention_layernorm" when !bias => new(block + "ffn_norm.weight", [h], 0),
            "self_attn.q_proj" => Make("attn_q", q, h, llama ? spec.Heads : 0),
            "self_attn.k_proj" => Make("attn_k", kv, h, llama ? spec.KvHeads : 0),
            "self_attn.v_proj" => Make("attn_v", kv, h, 0),
            "self_attn.o_proj" when !bias || llama => Make("attn_output", h, q, 0), // qwen2 in llama.cpp has no o bias
            "mlp.gate_proj" when !bias => Make("ffn_gate", i, h, 0),
            "mlp.up_proj" when !bias => Make("ffn_up", i, h, 0),
            "mlp.down_proj" when !bias => Make("ffn_down", h, i, 0),
            _ => null,
        };
    }

    /// <summary>The tensors llama.cpp requires for <paramref name="spec"/> (HF names).</summary>
    internal static IEnumerable<string> Required(GgufModelSpec spec)
    {
        yield return "model.embed_tokens.weight";
        yield return "model.norm.weight";
        if (!spec.TieWordEmbeddings) yield return "lm_head.weight";
        for (int l = 0; l < spec.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            foreach (string n in new[] { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj" })
                yield return p + n + ".weight";
            yield return p + "input_layernorm.weight";
            yield return p + "post_attention_layernorm.weight";
            if (spec.Architecture == GgufArchitecture.Qwen2)
                foreach (string n in new[] { "q_proj", "k_proj", "v_proj" })
                    yield return p + "self_attn." + n + ".bias";
        }
    }
}
