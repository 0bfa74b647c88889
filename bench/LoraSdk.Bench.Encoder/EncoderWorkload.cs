using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>One fixed random batch for a variant's classifier, drawn after seeding (weights do not change the cost).</summary>
public sealed class EncoderWorkload : IDisposable
{
    public EncoderWorkload(BenchShape shape, EncoderVariant variant, long seed = 1)
    {
        manual_seed(seed);
        Variant = variant;
        InputIds = randint(0, shape.Config.VocabSize, [shape.Batch, shape.Length], dtype: ScalarType.Int64);
        AttentionMask = ones(shape.Batch, shape.Length, dtype: ScalarType.Int64);
        Targets = randint(0, shape.Labels, [shape.Batch], dtype: ScalarType.Int64);
    }

    public EncoderVariant Variant { get; }
    public Tensor InputIds { get; }
    public Tensor AttentionMask { get; }
    public Tensor Targets { get; }

    public void Dispose()
    {
        Variant.Dispose();
        InputIds.Dispose();
        AttentionMask.Dispose();
        Targets.Dispose();
    }
}
