using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Support;

/// <summary>
/// What an adapted layer must compute, worked out here in float64 from the layer's current tensors,
/// without the SDK's code paths: base(x) + scaling · B·A·x with plain loops and float64 matrix products.
/// </summary>
internal static class Float64Reference
{
    /// <summary>The adapted output: base plus the scaled low-rank update.</summary>
    public static Tensor Adapted(LoraAdapter adapter, Tensor input) => Compute(adapter, input, withLowRank: true);

    /// <summary>The frozen layer's output alone.</summary>
    public static Tensor Base(LoraAdapter adapter, Tensor input) => Compute(adapter, input, withLowRank: false);

    private static Tensor Compute(LoraAdapter adapter, Tensor input, bool withLowRank) => adapter switch
    {
        LinearLoraAdapter linear => LinearOutput(linear, input, withLowRank),
        Conv2dLoraAdapter conv => ConvOutput(conv, input, withLowRank),
        Conv1dLoraAdapter conv1d => Conv1dOutput(conv1d, input, withLowRank),
        EmbeddingLoraAdapter embedding => EmbeddingOutput(embedding, input, withLowRank),
        _ => throw new NotSupportedException(adapter.GetType().Name),
    };

    // y = x·Wᵀ + b + s·(x·Aᵀ)·Bᵀ
    private static Tensor LinearOutput(LinearLoraAdapter adapter, Tensor input, bool withLowRank)
    {
        var layer = (Linear)adapter.Target;
        var x = F64(input);
        var y = x.matmul(F64(layer.weight!).t());
        if (layer.bias is not null) y += F64(layer.bias);
        if (withLowRank) y += x.matmul(F64(adapter.LoraA).t()).matmul(F64(adapter.LoraB).t()) * adapter.Scaling;
        return y;
    }

    // y = conv(x, W) + b + s·conv1x1(conv(x, A), B), both convolutions as plain loops.
    private static Tensor ConvOutput(Conv2dLoraAdapter adapter, Tensor input, bool withLowRank)
    {
        var layer = (Conv2d)adapter.Target;
        var geometry = new ConvGeometry(layer.stride, layer.padding ?? RulePadding(layer), layer.dilation);
        var y = NaiveConv2d(F64(input), F64(layer.weight!), geometry);
        if (layer.bias is not null) y += F64(layer.bias).view(1, -1, 1, 1);
        if (withLowRank)
        {
            var down = NaiveConv2d(F64(input), F64(adapter.LoraA), geometry);
            y += NaiveConv2d(down, F64(adapter.LoraB), ConvGeometry.Pointwise) * adapter.Scaling;
        }
        return y;
    }

    // Conv1d as a Conv2d of height 1: (n, c, L) -> (n, c, 1, L), kernels (o, c, k) -> (o, c, 1, k).
    private static Tensor Conv1dOutput(Conv1dLoraAdapter adapter, Tensor input, bool withLowRank)
    {
        var layer = (Conv1d)adapter.Target;
        long padding = layer.padding?[0] ?? (layer.padding_type == Padding.Valid ? 0 : layer.dilation[0] * (layer.kernel_size[0] - 1) / 2);
        var geometry = new ConvGeometry([1, layer.stride[0]], [0, padding], [1, layer.dilation[0]]);
        var x = F64(input).unsqueeze(2);
        var y = NaiveConv2d(x, F64(layer.weight!).unsqueeze(2), geometry);
        if (layer.bias is not null) y += F64(layer.bias).view(1, -1, 1, 1);
        if (withLowRank)
        {
            var down = NaiveConv2d(x, F64(adapter.LoraA).unsqueeze(2), geometry);
            y += NaiveConv2d(down, F64(adapter.LoraB).unsqueeze(2), ConvGeometry.Pointwise) * adapter.Scaling;
        }
        return y.squeeze(2);
    }

    // Row id of the table, plus s·Σ_r A[r, id]·B[:, r].
    private static Tensor EmbeddingOutput(EmbeddingLoraAdapter adapter, Tensor input, bool withLowRank)
    {
        long[] ids = input.data<long>().ToArray();
        double[,] table = Matrix(adapter.BaseWeight), a = Matrix(adapter.LoraA), b = Matrix(adapter.LoraB);
        int dim = table.GetLength(1), rank = a.GetLength(0);
        var output = new double[ids.Length * dim];
        for (int n = 0; n < ids.Length; n++)
        {
            for (int d = 0; d < dim; d++)
            {
                double value = table[ids[n], d];
                if (withLowRank)
                    for (int r = 0; r < rank; r++) value += adapter.Scaling * a[r, ids[n]] * b[d, r];
                output[n * dim + d] = value;
            }
        }
        return tensor(output, [.. input.shape, dim]);
    }

    /// <summary>Padding.Same with an odd kernel pads dilation·(k − 1)/2 on each side; Padding.Valid pads nothing.</summary>
    private static long[] RulePadding(Conv2d layer) =>
        layer.padding_type == Padding.Valid
            ? [0, 0]
            : layer.kernel_size.Zip(layer.dilation, (k, d) => k % 2 == 1 ? d * (k - 1) / 2 : throw new NotSupportedException("even kernel")).ToArray();

    public sealed record ConvGeometry(long[] Stride, long[] Padding, long[] Dilation)
    {
        public static readonly ConvGeometry Pointwise = new([1, 1], [0, 0], [1, 1]);
    }

    /// <summary>A zero-padded 2-D convolution as four nested loops over float64 values.</summary>
    public static Tensor NaiveConv2d(Tensor input, Tensor weight, ConvGeometry g)
    {
        long n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3];
        long o = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3];
        long ho = (h + 2 * g.Padding[0] - g.Dilation[0] * (kh - 1) - 1) / g.Stride[0] + 1;
        long wo = (w + 2 * g.Padding[1] - g.Dilation[1] * (kw - 1) - 1) / g.Stride[1] + 1;
        double[] x = input.data<double>().ToArray(), k = weight.data<double>().ToArray();
        var y = new double[n * o * ho * wo];
        for (long b = 0; b < n; b++)
        for (long oc = 0; oc < o; oc++)
        for (long i = 0; i < ho; i++)
        for (long j = 0; j < wo; j++)
        {
            double sum = 0;
            for (long ic = 0; ic < c; ic++)
            for (long p = 0; p < kh; p++)
            for (long q = 0; q < kw; q++)
            {
                long row = i * g.Stride[0] - g.Padding[0] + p * g.Dilation[0];
                long col = j * g.Stride[1] - g.Padding[1] + q * g.Dilation[1];
                if (row < 0 || row >= h || col < 0 || col >= w) continue;
                sum += x[((b * c + ic) * h + row) * w + col] * k[((oc * c + ic) * kh + p) * kw + q];
            }
            y[((b * o + oc) * ho + i) * wo + j] = sum;
        }
        return tensor(y, [n, o, ho, wo]);
    }

    public static Tensor F64(Tensor t) => t.detach().to(float64).contiguous();

    public static double[,] Matrix(Tensor t)
    {
        var values = F64(t).data<double>().ToArray();
        long rows = t.shape[0], cols = t.shape[1];
        var m = new double[rows, cols];
        for (long i = 0; i < rows; i++)
            for (long j = 0; j < cols; j++) m[i, j] = values[i * cols + j];
        return m;
    }
}
