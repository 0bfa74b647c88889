using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Decoder;

internal static class DecoderTestKit
{
    public static readonly long[,] Ids = { { 3, 7, 11, 5, 9, 2 }, { 4, 4, 8, 15, 1, 30 } };
    /// <summary>Row 0 real throughout; row 1 left-padded by two.</summary>
    public static readonly long[,] Mask = { { 1, 1, 1, 1, 1, 1 }, { 0, 0, 1, 1, 1, 1 } };

    public static Tensor IdsTensor => tensor(Ids, dtype: ScalarType.Int64);
    public static Tensor MaskTensor => tensor(Mask, dtype: ScalarType.Int64);

    /// <summary>The largest |a − b| over the positions where <paramref name="mask"/> is 1 (padding positions' logits mean nothing).</summary>
    public static double MaxDiffAtRealTokens(Tensor a, Tensor b, long[,]? mask = null)
    {
        var diff = (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().amax([-1L]); // batch × t
        if (mask is not null) diff = diff * tensor(mask, dtype: ScalarType.Float64);
        return diff.max().item<double>();
    }

    public static CausalLM LoadTiny(TempDirectory dir, TinyDecoderSpec spec, Dictionary<string, Tensor> weights, CausalLMLoadOptions? options = null,
        ScalarType fileType = ScalarType.Float64, int shards = 1)
    {
        string folder = Path.Combine(dir.Path, "model");
        spec.WriteFolder(folder, weights, fileType, shards);
        return CausalLM.Load(folder, options ?? new CausalLMLoadOptions { DType = ScalarType.Float64 });
    }
}

internal static class DecoderLoraKit
{
    /// <summary>Gives every adapter random A and B (B non-zero), seeded, and returns the base weights with scaling·B·A folded in (float64).</summary>
    public static Dictionary<string, Tensor> RandomizeAdapters(CausalLM model, IReadOnlyDictionary<string, Tensor> baseWeights, int seed)
    {
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        var effective = baseWeights.ToDictionary(w => w.Key, w => w.Value.clone());
        using var _ = no_grad();
        foreach (var (path, adapter) in model.ActiveLoraAdapters())
        {
            var linear = (LinearLoraAdapter)adapter;
            linear.LoraA.copy_(randn(linear.LoraA.shape, ScalarType.Float64, generator: generator) * 0.2);
            linear.LoraB.copy_(randn(linear.LoraB.shape, ScalarType.Float64, generator: generator) * 0.2);
            var delta = linear.LoraB.to_type(ScalarType.Float64).matmul(linear.LoraA.to_type(ScalarType.Float64)) * adapter.Scaling;
            effective[path + ".weight"] = effective[path + ".weight"] + delta;
        }
        return effective;
    }
}
