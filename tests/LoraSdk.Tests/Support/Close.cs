using static TorchSharp.torch;

namespace LoraSdk.Tests.Support;

/// <summary>Tolerance assertions, measured in float64.</summary>
internal static class Close
{
    /// <summary>‖actual − expected‖ / ‖expected‖ ≤ tolerance (Frobenius norms).</summary>
    public static void Relative(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var e = expected.detach().to(float64);
        using var a = actual.detach().to(float64);
        double error = (a - e).norm().item<double>() / e.norm().item<double>();
        Assert.True(error <= tolerance, $"relative error {error:e3} > {tolerance:e1}");
    }

    /// <summary>max |actual − expected| ≤ tolerance.</summary>
    public static void Absolute(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var e = expected.detach().to(float64);
        using var a = actual.detach().to(float64);
        double error = (a - e).abs().max().item<double>();
        Assert.True(error <= tolerance, $"max abs error {error:e3} > {tolerance:e1}");
    }

    /// <summary>The relative distance, for asserting that two outputs really differ.</summary>
    public static double RelativeDistance(Tensor a, Tensor b)
    {
        using var x = a.detach().to(float64);
        using var y = b.detach().to(float64);
        return (x - y).norm().item<double>() / y.norm().item<double>();
    }

    /// <summary>Same shape and bit-for-bit equal values.</summary>
    public static bool Identical(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var same = a.eq(b);
        return same.all().item<bool>();
    }
}
