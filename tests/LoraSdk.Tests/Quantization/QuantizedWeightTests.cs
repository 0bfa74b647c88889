using LoraSdk.Quantization;
using LoraSdk.Tests.Support;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Quantization;

/// <summary>The Int8 and NF4 codes against their definitions, computed here in float64 without the SDK's code.</summary>
[Collection(SeededTorch.Name)]
public class QuantizedWeightTests
{
    [Fact]
    public void Nf4LevelsAreTheQloraQuantilesOfTheNormalDistribution()
    {
        // QLoRA (appendix E): 8 positive quantiles from probabilities linspace(δ, 1/2, 9)[:-1] and 7 negative ones from
        // linspace(δ, 1/2, 8)[:-1], δ = 1/2·(1/32 + 1/30), plus an exact 0, normalised by the largest.
        double delta = 0.5 * (1.0 / 32 + 1.0 / 30);
        static double[] Spaced(double from, double to, int count) => Enumerable.Range(0, count).Select(i => from + (to - from) * i / (count - 1)).ToArray();
        using var positive = special.ndtri(tensor(Spaced(1 - delta, 0.5, 9)[..^1]));
        using var negative = special.ndtri(tensor(Spaced(1 - delta, 0.5, 8)[..^1])).neg();
        using var all = cat([positive, negative, zeros(1, float64)]).sort().Values;
        using var normalised = all / all.abs().max();
        Close.Absolute(normalised, tensor(Nf4Levels.Values).to(float64), 5e-7); // the levels are float32
    }

    [Fact]
    public void Int8StoresEachRowAsRoundedMultiplesOfItsAbsmaxOver127()
    {
        manual_seed(1);
        using var weight = randn(7, 19);
        using (no_grad()) weight[3].zero_();
        using var q = QuantizedWeight.Create(weight, LoraBase.Int8);
        using var actual = q.Dequantize(float64);
        var w = weight.to(float64).data<double>().ToArray();
        var expected = new double[w.Length];
        for (int row = 0; row < 7; row++)
        {
            double scale = Enumerable.Range(0, 19).Max(c => Math.Abs(w[row * 19 + c])) / 127;
            for (int c = 0; c < 19; c++)
                expected[row * 19 + c] = scale == 0 ? 0 : Math.Round(w[row * 19 + c] / scale, MidpointRounding.ToEven) * scale;
        }
        Close.Absolute(tensor(expected).view(7, 19), actual, 1e-6);
        Assert.Equal(7 * 19 + 7 * 4, q.StorageBytes);
    }

    [Theory]
    [InlineData(5, 7)]     // 35 values: one padded block
    [InlineData(16, 24)]   // 384 values: six full blocks
    public void Nf4ReplacesEachValueByTheNearestLevelTimesItsBlockAbsmax(long rows, long columns)
    {
        manual_seed(2);
        using var weight = randn(rows, columns);
        using var q = QuantizedWeight.Create(weight, LoraBase.Nf4);
        using var actual = q.Dequantize(float64);
        var w = weight.to(float64).data<double>().ToArray();
        var expected = new double[w.Length];
        for (int start = 0; start < w.Length; start += 64)
        {
            int end = Math.Min(start + 64, w.Length);
            double absmax = w[start..end].Max(Math.Abs);
            for (int i = start; i < end; i++)
            {
                double x = w[i] / absmax;
                double nearest = Nf4Levels.Values.Select(l => (double)l).MinBy(l => Math.Abs(l - x));
                expected[i] = nearest * absmax;
            }
        }
        Close.Absolute(tensor(expected).view(rows, columns), actual, 1e-6);
        long blocks = (rows * columns + 63) / 64;
        Assert.Equal(blocks * 32 + blocks * 4, q.StorageBytes);
    }

    [Fact]
    public void DoubleQuantizedScalesStayWithinTheirInt8StepAndShrinkStorage()
    {
        manual_seed(3);
        using var weight = randn(384, 384);
        using var single = QuantizedWeight.Create(weight, LoraBase.Nf4);
        using var dq = QuantizedWeight.Create(weight, LoraBase.Nf4DoubleQuant);
        using var a = single.Dequantize(float32);
        using var b = dq.Dequantize(float32);
        // int8 block scales (half an int8 step off at most) cost almost nothing in weight error, as in QLoRA.
        double singleError = Close.RelativeDistance(a, weight), doubleError = Close.RelativeDistance(b, weight);
        Assert.True(singleError < 0.12, $"NF4 relative error {singleError}");
        Assert.True(doubleError <= singleError * 1.02, $"double-quantized {doubleError} vs {singleError}");
        Assert.False(Close.Identical(a, b));
        double floatBytes = 384 * 384 * 4;
        Assert.True(single.StorageBytes / floatBytes <= 0.1407, $"{single.StorageBytes / floatBytes}");
        Assert.True(dq.StorageBytes / floatBytes <= 0.13, $"{dq.StorageBytes / floatBytes}");
        using var int8 = QuantizedWeight.Create(weight, LoraBase.Int8);
        Assert.True(int8.StorageBytes / floatBytes <= 0.2527);
    }
}
