using static TorchSharp.torch;

namespace LoraSdk.Tests.Support;

/// <summary>Direct access to an adapter's A and B, whatever the layer kind.</summary>
internal static class LoraFactors
{
    public static Tensor A(LoraAdapter adapter) => adapter.ParameterNames[0].Parameter;

    public static Tensor B(LoraAdapter adapter) => adapter.ParameterNames[1].Parameter;

    /// <summary>Gives A and B random non-zero values, so the low-rank path really contributes.</summary>
    public static void Randomize(LoraAdapter adapter, double scale = 0.5)
    {
        using var _ = no_grad();
        foreach (var (_, parameter) in adapter.ParameterNames)
        {
            using var values = randn_like(parameter) * scale;
            parameter.copy_(values);
        }
    }

    /// <summary>Writes one value into A (e.g. NaN), leaving the rest as it is.</summary>
    public static void Poison(Tensor factor, double value)
    {
        using var _ = no_grad();
        using var flat = factor.view(-1);
        flat[0] = value;
    }
}
