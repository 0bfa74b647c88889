using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>A randomly initialised MiniLM-shaped classifier and one fixed random batch (weights do not change the cost).</summary>
public sealed class EncoderWorkload : IDisposable
{
    public EncoderWorkload(BenchShape shape, long seed = 1)
    {
        manual_seed(seed);
        Model = new SequenceClassifier(shape.Config, shape.Labels);
        InputIds = randint(0, shape.Config.VocabSize, [shape.Batch, shape.Length], dtype: ScalarType.Int64);
        AttentionMask = ones(shape.Batch, shape.Length, dtype: ScalarType.Int64);
        Targets = randint(0, shape.Labels, [shape.Batch], dtype: ScalarType.Int64);
    }

    public SequenceClassifier Model { get; }
    public Tensor InputIds { get; }
    public Tensor AttentionMask { get; }
    public Tensor Targets { get; }

    public void Dispose()
    {
        Model.Dispose();
        InputIds.Dispose();
        AttentionMask.Dispose();
        Targets.Dispose();
    }
}
