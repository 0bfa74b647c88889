using LoraSdk.Models;

namespace LoraSdk.Bench.Decoder;

/// <summary>The measured shape: SmolLM2-135M (hidden 576, 30 layers, 9 heads, 3 KV heads, intermediate 1536, vocab 49152), batch 4 × 256.</summary>
public sealed record BenchShape(int Hidden, int Layers, int Heads, int KvHeads, int Intermediate, int Vocab, int Batch, int Length)
{
    public static readonly BenchShape SmolLm2 = new(576, 30, 9, 3, 1536, 49152, 4, 256);

    /// <summary>A few-second shape to check that every mode runs.</summary>
    public static readonly BenchShape Tiny = new(64, 2, 4, 2, 128, 512, 2, 32);

    public DecoderConfig Config => new()
    {
        VocabSize = Vocab, HiddenSize = Hidden, IntermediateSize = Intermediate, NumLayers = Layers, NumHeads = Heads,
        NumKeyValueHeads = KvHeads, HeadDim = Hidden / Heads, RmsNormEps = 1e-5, RopeTheta = 100000, TieWordEmbeddings = true,
        MaxPositionEmbeddings = 8192,
    };

    /// <summary>The batch both implementations train on: ids (i·7919 + 13) mod vocab, row-major (pytorch_twin.py uses the same formula).</summary>
    public long[] TokenIds() => Enumerable.Range(0, Batch * Length).Select(i => (long)((i * 7919L + 13) % Vocab)).ToArray();
}
