using LoraSdk.Models;

namespace LoraSdk.Bench.Encoder;

/// <summary>The benchmarked workload: all-MiniLM-L6-v2's shape (6 layers, d = 384), batch 8 × 128 tokens, 6 labels.</summary>
public sealed record BenchShape(int Batch = 8, int Length = 128, int Labels = 6, int LoraRank = 8, int LoraTargetsPerLayer = 2)
{
    public BertConfig Config { get; init; } = BertConfig.MiniLmL6;

    public long Tokens => (long)Batch * Length;

    /// <summary>A few-second check that every part runs (<c>--tiny</c>; the PyTorch script has the same sizes).</summary>
    public static BenchShape Tiny { get; } = new(Batch: 2, Length: 16)
    {
        Config = BertConfig.MiniLmL6 with { VocabSize = 1000, HiddenSize = 64, NumLayers = 2, NumHeads = 4, IntermediateSize = 128 },
    };
}
