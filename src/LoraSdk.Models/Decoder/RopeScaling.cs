namespace LoraSdk.Models;

/// <summary>
/// How rotary frequencies are rescaled for long contexts (config.json's <c>rope_scaling</c>, or transformers 5.x's
/// <c>rope_parameters</c>). LoraSdk computes exactly two kinds: <c>linear</c> (every frequency divided by
/// <see cref="Factor"/>) and Llama 3's <c>llama3</c> bands; any other kind is refused when the config is read.
/// </summary>
/// <param name="Type">"linear" or "llama3".</param>
/// <param name="Factor">The context-length factor.</param>
/// <param name="LowFreqFactor">llama3: wavelengths above original / low_freq_factor are divided by the factor.</param>
/// <param name="HighFreqFactor">llama3: wavelengths below original / high_freq_factor are kept.</param>
/// <param name="OriginalMaxPositionEmbeddings">llama3: the pre-training context length.</param>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor = 1, double HighFreqFactor = 4, double OriginalMaxPositionEmbeddings = 8192)
{
    /// <summary>The <c>inv_freq</c> of every rotated pair (head_dim / 2 of them), HF's formulas in float64.</summary>
    public static double[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        var inv = new double[headDim / 2];
        for (int i = 0; i < inv.Length; i++) inv[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
        if (scaling is null) return inv;
        if (scaling.Type == "linear")
            return inv.Select(f => f / scaling.Factor).ToArray();
        // llama3: long wavelengths slowed by the factor, short ones kept, a smooth blend between.
        double lowWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
        double highWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
        for (int i = 0; i < inv.Length; i++)
        {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowWavelen) inv[i] /= scaling.Factor;
            else if (wavelen >= highWavelen)
            {
                double smooth = (scaling.OriginalMaxPositionEmbeddings / wavelen - scaling.LowFreqFactor) / (scaling.HighFreqFactor - scaling.LowFreqFactor);
                inv[i] = (1 - smooth) * inv[i] / scaling.Factor + smooth * inv[i];
            }
        }
        return inv;
    }
}
