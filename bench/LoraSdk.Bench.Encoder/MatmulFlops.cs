namespace LoraSdk.Bench.Encoder;

/// <summary>
/// Multiply-add FLOPs (2 per multiply-accumulate) of the matrix products in one step of the encoder, counted from
/// the shapes. Element-wise work (LayerNorm, GELU, softmax, AdamW) is deliberately left out: the floor is what
/// the matmuls alone would take at the machine's measured matmul rate.
/// </summary>
public static class MatmulFlops
{
    /// <summary>Forward: the six Linear layers of each block, the two attention products, LoRA's x·Aᵀ·Bᵀ, the head.</summary>
    public static double Forward(BenchShape s, bool lora)
    {
        var (n, d, i, layers) = (s.Tokens, s.Config.HiddenSize, s.Config.IntermediateSize, s.Config.NumLayers);
        double linear = 2.0 * n * (4.0 * d * d + 2.0 * d * i);
        double attention = 4.0 * s.Batch * s.Length * (double)s.Length * d;
        double adapters = lora ? s.LoraTargetsPerLayer * 4.0 * n * d * s.LoraRank : 0;
        return layers * (linear + attention + adapters) + 2.0 * s.Batch * d * s.Labels;
    }

    /// <summary>
    /// Backward of a LoRA step: gradients flow back through every layer's input (same FLOPs as its forward),
    /// the attention products need four products (dP, dV, dQ, dK), adapters need input and A/B weight gradients.
    /// Frozen base weights get no weight gradient, and layer 0's query/key/value need no input gradient
    /// (the embeddings are frozen).
    /// </summary>
    public static double LoraBackward(BenchShape s)
    {
        var (n, d, i, layers) = (s.Tokens, s.Config.HiddenSize, s.Config.IntermediateSize, s.Config.NumLayers);
        double inputGradients = layers * 2.0 * n * (4.0 * d * d + 2.0 * d * i) - 3 * 2.0 * n * d * d;
        double attention = layers * 8.0 * s.Batch * s.Length * (double)s.Length * d;
        double adapters = layers * s.LoraTargetsPerLayer * 8.0 * n * d * s.LoraRank;
        return inputGradients + attention + adapters + 4.0 * s.Batch * d * s.Labels;
    }

    /// <summary>Backward of full fine-tuning: input gradients everywhere plus a weight gradient for every Linear.</summary>
    public static double FullBackward(BenchShape s)
    {
        var (n, d, i, layers) = (s.Tokens, s.Config.HiddenSize, s.Config.IntermediateSize, s.Config.NumLayers);
        double linear = layers * 2.0 * n * (4.0 * d * d + 2.0 * d * i);
        double attention = layers * 8.0 * s.Batch * s.Length * (double)s.Length * d;
        return 2 * linear + attention + 4.0 * s.Batch * d * s.Labels;
    }
}
