using LoraSdk.Models;

namespace LoraSdk.Bench.Encoder;

/// <summary>The benchmarked workload: all-MiniLM-L6-v2's shape (6 layers, d = 384), batch 8 × 128 tokens, 6 labels.</summary>
public sealed record BenchShape(int Batch = 8, int Length = 128, int Labels = 6, int LoraRank = 8, int LoraTargetsPerLayer = 2)
{
    public BertConfig Config { get; } = BertConfig.MiniLmL6;

    public long Tokens => (long)Batch * Length;
}
