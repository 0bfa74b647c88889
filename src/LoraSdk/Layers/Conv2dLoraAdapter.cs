using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// LoRA for <see cref="Conv2d"/> (as PEFT): A is a Conv2d(in → r) with the target's kernel, stride, padding
/// and dilation; B is a 1×1 Conv2d(r → out). Grouped and transposed convolutions are not supported.
/// </summary>
public sealed class Conv2dLoraAdapter : LoraAdapter
{
    private readonly Conv2d _target;
    private readonly Conv2d _loraA;
    private readonly Conv2d _loraB;

    public Conv2dLoraAdapter(string targetName, Conv2d target, LoraOptions options)
        : base(targetName, target, options)
    {
        if (target.groups != 1)
            throw new NotSupportedException($"LoRA target '{targetName}': grouped convolutions (groups = {target.groups}) are not supported.");
        _target = target;
        var device = target.weight!.device;
        var dtype = target.weight.dtype;
        // Both factors are laid out on the meta device (where nn.Conv2d's own init draws no random numbers), then
        // get real uninitialised weights: ResetLoraParameters draws A once, as PEFT's init does, and zeroes B.
        _loraA = LoraInitializer.WithUninitialisedWeight(CreateDown(target, options.Rank, LoraInitializer.Meta, dtype), device, dtype);
        _loraB = LoraInitializer.WithUninitialisedWeight(
            nn.Conv2d(options.Rank, target.out_channels, (1, 1), bias: false, device: LoraInitializer.Meta, dtype: dtype), device, dtype);
        register_module("lora_A", _loraA);
        register_module("lora_B", _loraB);
        ResetLoraParameters();
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

    public override LoraLayerKind Kind => LoraLayerKind.Conv2d;
    public override long InFeatures => _target.in_channels;
    public override long OutFeatures => _target.out_channels;
    public override Tensor BaseWeight => _target.weight!;

    /// <summary>A, shape (r × in × kh × kw).</summary>
    public Tensor LoraA => _loraA.weight!;

    /// <summary>B, shape (out × r × 1 × 1).</summary>
    public Tensor LoraB => _loraB.weight!;

    public override IReadOnlyList<(string Name, Tensor Parameter)> ParameterNames =>
        [("lora_A.weight", LoraA), ("lora_B.weight", LoraB)];

    public override Tensor BaseForward(Tensor input) => _target.forward(input);

    public override Tensor LowRankForward(Tensor input)
    {
        using var dropped = Dropout(input);
        using var down = _loraA.forward(dropped);
        return _loraB.forward(down);
    }

    /// <summary>B∘A as one kernel: convolve A's filters (as a batch) with B, then swap the channel axes.</summary>
    public override Tensor DeltaWeight()
    {
        using var a = LoraA.permute(1, 0, 2, 3);
        using var combined = nn.functional.conv2d(a, LoraB);
        return combined.permute(1, 0, 2, 3).mul(Scaling);
    }

    public override void ResetLoraParameters() =>
        LoraInitializer.Reset(Options.Init, LoraA, LoraB, Rank, Scaling, BaseWeight, OutFeatures);
}
