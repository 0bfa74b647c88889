using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// LoRA for <see cref="Conv1d"/> (as PEFT, and as <see cref="Conv2dLoraAdapter"/> one dimension down): A is a
/// Conv1d(in → r) with the target's kernel, stride, padding and dilation; B is a kernel-1 Conv1d(r → out).
/// Adapter files name them <c>lora_A.weight</c> (r × in × k) and <c>lora_B.weight</c> (out × r × 1).
/// Grouped convolutions are not supported.
/// </summary>
public sealed class Conv1dLoraAdapter : ConvolutionLoraAdapter
{
    /// <summary>Creates A and B for <paramref name="target"/>, initialised as <paramref name="options"/> say, so the adapted layer starts equal to the base layer.</summary>
    /// <param name="targetName">The target's name within its owner.</param>
    /// <param name="target">The frozen layer.</param>
    /// <param name="options">Rank, alpha, dropout, rsLoRA, initialisation.</param>
    public Conv1dLoraAdapter(string targetName, Conv1d target, LoraOptions options)
        : base(targetName, target, options,
            (device, dtype) => CreateDown(target, options.Rank, device, dtype),
            (device, dtype) => nn.Conv1d(options.Rank, target.out_channels, 1, bias: false, device: device, dtype: dtype))
    {
    }

    /// <summary>A: the target's geometry with r output channels (its padding rule when it has no numeric padding).</summary>
    private static Conv1d CreateDown(Conv1d target, long rank, Device device, ScalarType dtype)
    {
        long kernel = target.kernel_size[0], stride = target.stride[0], dilation = target.dilation[0];
        if (target.padding is { } padding)
            return nn.Conv1d(target.in_channels, rank, kernel, stride: stride, padding: padding[0], dilation: dilation,
                padding_mode: target.padding_mode, bias: false, device: device, dtype: dtype);
        var rule = target.padding_type ?? throw new NotSupportedException("The target convolution has neither a padding size nor a padding rule.");
        return nn.Conv1d(target.in_channels, rank, kernel, rule, stride: stride, dilation: dilation,
            padding_mode: target.padding_mode, bias: false, device: device, dtype: dtype);
    }

    /// <inheritdoc/>
    public override LoraLayerKind Kind => LoraLayerKind.Conv1d;

    /// <inheritdoc/>
    private protected override Tensor Convolve(Tensor input, Tensor weight, Tensor? bias, long[] padding) =>
        nn.functional.conv1d(input, weight, bias, Target1d.stride[0], padding[0], Target1d.dilation[0]);

    /// <inheritdoc/>
    private protected override Tensor Convolve(Tensor input, Tensor weight, Tensor? bias, Padding padding) =>
        nn.functional.conv1d_padding(input, weight, bias, Target1d.stride[0], padding, Target1d.dilation[0]);

    private Conv1d Target1d => (Conv1d)Target;

    /// <summary>B∘A as one kernel (out × in × k): B (out × r) times A flattened to r × (in·k).</summary>
    public override Tensor DeltaWeight()
    {
        using var b = LoraB.squeeze(-1);
        using var a = LoraA.flatten(1);
        using var combined = b.matmul(a);
        return combined.view(BaseWeight.shape).mul(Scaling);
    }
}
