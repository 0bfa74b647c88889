using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Refuses decoded adapter tensors that hold NaN or ±Inf: one such value in <c>lora_B</c> turns every output
/// of the model into NaN, silently. The error names the key and the first bad element's index.
/// </summary>
internal static class FiniteTensorCheck
{
    public static void Ensure(IReadOnlyDictionary<string, Tensor> tensors, string tensorPath)
    {
        foreach (var key in tensors.Keys.Order(StringComparer.Ordinal))
        {
            var tensor = tensors[key];
            if (!tensor.is_floating_point()) continue;
            using var scope = NewDisposeScope();
            var flat = tensor.reshape(-1);
            var bad = flat.isfinite().logical_not().nonzero();
            if (bad.shape[0] == 0) continue;
            long first = bad[0, 0].item<long>();
            double value = flat[first].to(ScalarType.Float64).item<double>();
            throw new AdapterFormatException(tensorPath, key,
                $"holds {Describe(value)} at index {Index(first, tensor.shape)} (the first of {bad.shape[0]} non-finite values): " +
                "every output of the model would be NaN. Retrain the adapter, or load it with AdapterLoadOptions { AllowNonFiniteValues = true } to accept it.");
        }
    }

    private static string Describe(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";

    /// <summary>The row-major multi-index of flat position <paramref name="flat"/>, e.g. <c>[3, 0]</c>.</summary>
    internal static string Index(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return $"[{string.Join(", ", index)}]";
    }
}
