using System.Diagnostics;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>The machine's float32 matmul rate on the encoder's own GEMM shapes (tokens × 384 by 384 × 384 and 384 × 1536).</summary>
public static class MatmulRate
{
    public static double GigaflopsPerSecond(BenchShape s, int repetitions = 20)
    {
        long n = s.Tokens, d = s.Config.HiddenSize, i = s.Config.IntermediateSize;
        using var x = randn(n, d);
        using var square = randn(d, d);
        using var wide = randn(d, i);
        using var outSquare = empty(n, d);
        using var outWide = empty(n, i);
        for (int w = 0; w < 3; w++)
        {
            outSquare.addmm_(x, square, beta: 0, alpha: 1);
            outWide.addmm_(x, wide, beta: 0, alpha: 1);
        }
        var clock = Stopwatch.StartNew();
        for (int r = 0; r < repetitions; r++)
        {
            outSquare.addmm_(x, square, beta: 0, alpha: 1);
            outWide.addmm_(x, wide, beta: 0, alpha: 1);
        }
        double flops = repetitions * 2.0 * n * d * (d + i);
        return flops / clock.Elapsed.TotalSeconds / 1e9;
    }
}
