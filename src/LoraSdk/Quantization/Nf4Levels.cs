using static TorchSharp.torch;

namespace LoraSdk.Quantization;

/// <summary>
/// The 16 NormalFloat-4 levels of the QLoRA paper (Dettmers et al. 2023, appendix E): quantiles of N(0, 1) normalised
/// to [−1, 1], 8 positive and 7 negative so that 0 is exact. The tests rebuild them from that definition.
/// </summary>
internal static class Nf4Levels
{
    public static readonly float[] Values =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    /// <summary>Midpoints between neighbouring levels: a value's nearest level is the number of midpoints below it.</summary>
    public static Tensor Midpoints(ScalarType dtype) =>
        tensor(Values.Zip(Values.Skip(1), (a, b) => (a + b) / 2).ToArray(), dtype: dtype);

    /// <summary>
    /// (256 × 2): the two levels that one packed byte holds (high nibble first), so dequantizing is one gather of
    /// byte-indexed rows rather than unpacking nibbles.
    /// </summary>
    public static Tensor PairTable(ScalarType dtype)
    {
        var pairs = new float[512];
        for (int b = 0; b < 256; b++)
        {
            pairs[2 * b] = Values[b >> 4];
            pairs[2 * b + 1] = Values[b & 0xF];
        }
        return tensor(pairs, [256, 2], dtype: dtype);
    }
}
