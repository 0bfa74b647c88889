using LoraSdk.Models.Gguf;
using LoraSdk.Models.Tests.Decoder;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>
/// The float64 reference (<see cref="DecoderReference"/>, transformers' LlamaForCausalLM / Qwen2ForCausalLM written from
/// the math) seen through a <see cref="GgufModelSpec"/>: one prompt, positions 0..n-1, tied output when the spec says
/// so. It shares no code with the exporter.
/// </summary>
internal static class HfDecoderReference
{
    /// <summary>Float64 logits [tokens, vocab] for every position of <paramref name="tokens"/> (positions 0..n-1).</summary>
    public static Tensor Logits(GgufModelSpec spec, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyList<int> tokens)
    {
        using var scope = NewDisposeScope();
        var weights = tensors
            .Where(t => !(spec.TieWordEmbeddings && t.Key == "lm_head.weight")) // tied: the embedding is the output
            .ToDictionary(t => t.Key, t => t.Value.detach().to(float64));
        var ids = new long[1, tokens.Count];
        for (int i = 0; i < tokens.Count; i++) ids[0, i] = tokens[i];
        var shape = new DecoderReference.Shape(spec.Layers, spec.Heads, spec.KvHeads, spec.HeadDim, spec.RmsNormEps, spec.RopeTheta);
        return DecoderReference.Logits(shape, weights, ids, null, Scaling(spec))[0].MoveToOuterDisposeScope();
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
    internal static Tensor InverseFrequencies(GgufModelSpec spec) =>
        tensor(DecoderReference.InverseFrequencies(spec.HeadDim, spec.RopeTheta, Scaling(spec)));

    private static (string Type, double Factor, double Low, double High, double Original)? Scaling(GgufModelSpec spec) => spec.RopeScaling switch
    {
        null => null,
        GgufLinearRopeScaling linear => ("linear", linear.Factor, 0, 0, 0),
        GgufLlama3RopeScaling s => ("llama3", s.Factor, s.LowFreqFactor, s.HighFreqFactor, s.OriginalMaxPositionEmbeddings),
        _ => throw new ArgumentException($"Reference model: rope scaling {spec.RopeScaling} is not one it computes."),
    };
}
