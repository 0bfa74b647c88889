using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests;

/// <summary>Shared helpers: seeded random LoRA weights and tolerant comparisons.</summary>
internal static class TestTensors
{
    /// <summary>Gives every LoRA tensor of <paramref name="model"/> random non-zero values (B starts at zero otherwise).</summary>
    public static void RandomizeLora(nn.Module model, long seed = 7)
    {
        manual_seed(seed);
        using var _ = no_grad();
        foreach (var (_, parameter) in model.LoraParameters())
            parameter.copy_(randn_like(parameter).mul_(0.3));
    }

    /// <summary>max |a − b| / max(1, max |b|): a relative error that is stable near zero.</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        using var a = actual.to(float64);
        using var e = expected.to(float64);
        using var diff = (a - e).abs().max();
        using var scale = e.abs().max();
        return diff.item<double>() / Math.Max(1.0, scale.item<double>());
    }

    public static double[] Values(Tensor t)
    {
        using var flat = t.to(float64).flatten();
        return flat.data<double>().ToArray();
    }

    /// <summary>x·Wᵀ + b + scaling·(x·Aᵀ)·Bᵀ in float64, from the layer's and adapter's tensors.</summary>
    public static Tensor LinearReference(Tensor x64, LinearLoraAdapter adapter, double scaling)
    {
        var layer = (TorchSharp.Modules.Linear)adapter.Target;
        using var w = layer.weight!.to(float64);
        using var b = layer.bias!.to(float64);
        using var a = adapter.LoraA.to(float64);
        using var bMat = adapter.LoraB.to(float64);
        return x64.matmul(w.t()).add(b).add(x64.matmul(a.t()).matmul(bMat.t()).mul(scaling));
    }
}
