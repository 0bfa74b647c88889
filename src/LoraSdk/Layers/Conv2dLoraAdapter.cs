using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// LoRA for <see cref="Conv2d"/> (as PEFT): A is a Conv2d(in → r) with the target's kernel, stride, padding
/// and dilation; B is a 1×1 Conv2d(r → out). Grouped and transposed convolutions are not supported.
/// </summary>
public sealed class Conv2dLoraAdapter : ConvolutionLoraAdapter
{
    /// <summary>Creates A and B for <paramref name="target"/>, initialised as <paramref name="options"/> say, so the adapted layer starts equal to the base layer.</summary>
    /// <param name="targetName">The target's name within its owner.</param>
    /// <param name="target">The frozen layer.</param>
    /// <param name="options">Rank, alpha, dropout, rsLoRA, initialisation.</param>
    public Conv2dLoraAdapter(string targetName, Conv2d target, LoraOptions options)
        : base(targetName, target, options,
            (device, dtype) => CreateDown(target, options.Rank, device, dtype),
            (device, dtype) => nn.Conv2d(options.Rank, target.out_channels, (1, 1), bias: false, device: device, dtype: dtype))
    {
    }

    /// <summary>
    /// A: the target's geometry with r output channels. A target built with <c>Padding.Same</c>/<c>Valid</c>
    /// has no numeric padding (<c>padding</c> is null), so A gets the same padding rule instead.
    /// </summary>
    private static Conv2d CreateDown(Conv2d target, long rank, Device device, ScalarType dtype)
    {
        var k = target.kernel_size;
        long[] stride = target.stride, dilation = target.dilation;
        if (target.padding is { } padding)
            return nn.Conv2d(target.in_channels, rank, (k[0], k[1]),
                stride: (stride[0], stride[1]), padding: (padding[0], padding[1]), dilation: (dilation[0], dilation[1]),
                padding_mode: target.padding_mode, bias: false, device: device, dtype: dtype);
        var rule = target.padding_type ?? throw new NotSupportedException("The target convolution has neither a padding size nor a padding rule.");
        return nn.Conv2d(target.in_channels, rank, (k[0], k[1]), rule,
            stride: (stride[0], stride[1]), dilation: (dilation[0], dilation[1]),
            padding_mode: target.padding_mode, bias: false, device: device, dtype: dtype);
    }

    /// <inheritdoc/>
    public override LoraLayerKind Kind => LoraLayerKind.Conv2d;

    /// <inheritdoc/>
    private protected override Tensor Convolve(Tensor input, Tensor weight, Tensor? bias, long[] padding) =>
        nn.functional.conv2d(input, weight, bias, Target2d.stride, padding, Target2d.dilation);

    /// <inheritdoc/>
    private protected override Tensor Convolve(Tensor input, Tensor weight, Tensor? bias, Padding padding) =>
        nn.functional.conv2d_padding(input, weight, bias, Target2d.stride, padding, Target2d.dilation);

    private Conv2d Target2d => (Conv2d)Target;

    /// <summary>B∘A as one kernel: convolve A's filters (as a batch) with B, then swap the channel axes.</summary>
    public override Tensor DeltaWeight()
    {
        using var a = LoraA.permute(1, 0, 2, 3);
        using var combined = nn.functional.conv2d(a, LoraB);
        return combined.permute(1, 0, 2, 3).mul(Scaling);
    }
}
