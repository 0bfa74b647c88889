using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Rotary position embeddings in HuggingFace's <c>rotate_half</c> layout: a head vector's first half pairs with its
/// second half (not adjacent pairs), <c>x·cos + rotate_half(x)·sin</c>. The angles are computed in float32 (float64 for a
/// float64 model) from <see cref="RopeScaling.InverseFrequencies"/>, as transformers computes them in float32.
/// </summary>
internal sealed class RotaryEmbedding
{
    private readonly double[] _inverseFrequencies;

    public RotaryEmbedding(DecoderConfig config) =>
        _inverseFrequencies = RopeScaling.InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);

    /// <summary>cos and sin (batch × 1 × t × head_dim) in <paramref name="dtype"/> for <paramref name="positions"/> (batch × t, int64).</summary>
    public (Tensor Cos, Tensor Sin) Angles(Tensor positions, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var computeType = dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var inverse = tensor(_inverseFrequencies, dtype: ScalarType.Float64, device: positions.device).to_type(computeType);
        var freqs = positions.to_type(computeType).unsqueeze(-1) * inverse; // batch × t × head_dim/2
        var emb = cat([freqs, freqs], -1).unsqueeze(1);
        return (emb.cos().to_type(dtype).MoveToOuterDisposeScope(), emb.sin().to_type(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>x·cos + rotate_half(x)·sin for x (batch × heads × t × head_dim).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = x.shape[^1] / 2;
        var rotated = cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }
}
