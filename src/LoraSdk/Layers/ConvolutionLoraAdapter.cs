using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// What every convolution adapter shares (as PEFT's <c>_ConvNd</c>): A is a convolution in → r with the target's
/// geometry, B a kernel-1 convolution r → out, both laid out on the meta device (their own init draws no random
/// numbers) and given real uninitialised weights, so <see cref="ResetLoraParameters"/> draws A once and zeroes B.
/// A kind supplies how to build A and B and how B∘A folds into one kernel (<see cref="LoraAdapter.DeltaWeight"/>).
/// Grouped and transposed convolutions are not supported.
/// </summary>
public abstract class ConvolutionLoraAdapter : LoraAdapter
{
    private readonly Convolution _target;
    private readonly Convolution _loraA;
    private readonly Convolution _loraB;

    // createDown / createUp build A (in → r) and B (r → out) on the device and dtype they are given.
    private protected ConvolutionLoraAdapter(string targetName, Convolution target, LoraOptions options,
        Func<Device, ScalarType, Convolution> createDown, Func<Device, ScalarType, Convolution> createUp)
        : base(targetName, target, options)
    {
        Native.OneDnnIsaCap.Apply(); // before the first convolution runs (NaN gradients otherwise, on some CPUs)
        if (target.groups != 1)
            throw new NotSupportedException($"LoRA target '{targetName}': grouped convolutions (groups = {target.groups}) are not supported.");
        _target = target;
        var device = target.weight!.device;
        var dtype = target.weight.dtype;
        _loraA = LoraInitializer.WithUninitialisedWeight(createDown(LoraInitializer.Meta, dtype), device, dtype);
        _loraB = LoraInitializer.WithUninitialisedWeight(createUp(LoraInitializer.Meta, dtype), device, dtype);
        register_module("lora_A", _loraA);
        register_module("lora_B", _loraB);
        ResetLoraParameters();
    }

    /// <inheritdoc/>
    public override long InFeatures => _target.in_channels;
    /// <inheritdoc/>
    public override long OutFeatures => _target.out_channels;
    /// <inheritdoc/>
    public override Tensor BaseWeight => _target.weight!;

    /// <summary>A, shape (r × in × kernel…).</summary>
    public Tensor LoraA => _loraA.weight!;

    /// <summary>B, shape (out × r × 1…).</summary>
    public Tensor LoraB => _loraB.weight!;

    /// <inheritdoc/>
    public override IReadOnlyList<(string Name, Tensor Parameter)> ParameterNames =>
        WithMagnitude([("lora_A.weight", LoraA), ("lora_B.weight", LoraB)]);

    /// <inheritdoc/>
    public override Tensor BaseForward(Tensor input) => _target.forward(input);

    /// <summary>
    /// Without autograd, where the cost rule says so, the target's convolution once on W + s·B·A
    /// (<see cref="EffectiveWeightPath"/>); otherwise base(x) + s·B(A(dropout(x))).
    /// </summary>
    protected override Tensor AdaptedForward(Tensor input)
    {
        var weight = _target.weight!;
        long fanIn = weight.NumberOfElements / Math.Max(1, OutFeatures); // in · k₁ · k₂ …
        if (!EffectiveWeightPath.Applies(this, input, weight, _target.bias, LoraA, LoraB, OutputPositions(input), fanIn))
            return base.AdaptedForward(input);
        using var effective = EffectiveWeightPath.EffectiveWeight(weight, LoraA, LoraB, Scaling);
        return TargetConvolution(input, effective);
    }

    /// <summary>
    /// The target's forward with another weight: its stride, padding (size or rule), dilation, padding mode and bias.
    /// As TorchSharp's convolutions do, a non-zero padding mode pads the input first and convolves without padding.
    /// </summary>
    private Tensor TargetConvolution(Tensor input, Tensor weight, bool withBias = true)
    {
        var bias = withBias ? _target.bias : null;
        if (_target.padding_mode != PaddingModes.Zeros)
        {
            using var padded = nn.functional.pad(input, ReversedPadding(), _target.padding_mode);
            return Convolve(padded, weight, bias, new long[_target.kernel_size.Length]);
        }
        if (_target.padding is { } padding) return Convolve(input, weight, bias, padding);
        return Convolve(input, weight, bias, _target.padding_type ?? Padding.Valid);
    }

    /// <summary><c>pad</c>'s amounts for the target's padding: last dimension first, (before, after) each; <c>Same</c> puts the odd unit after.</summary>
    private long[] ReversedPadding()
    {
        int dims = _target.kernel_size.Length;
        var amounts = new long[2 * dims];
        for (int i = 0; i < dims; i++)
        {
            long before, after;
            if (_target.padding is { } padding) before = after = padding[i];
            else if (_target.padding_type == Padding.Same)
            {
                long total = _target.dilation[i] * (_target.kernel_size[i] - 1);
                before = total / 2;
                after = total - before;
            }
            else before = after = 0;
            amounts[2 * (dims - 1 - i)] = before;
            amounts[2 * (dims - 1 - i) + 1] = after;
        }
        return amounts;
    }

    /// <summary>Output pixels of this call (batch × output size), for the cost rule.</summary>
    private long OutputPositions(Tensor input)
    {
        int dims = _target.kernel_size.Length;
        long positions = input.NumberOfElements / Math.Max(1, InFeatures);
        for (int i = 0; i < dims; i++)
        {
            long size = input.shape[input.dim() - dims + i];
            if (_target.padding_type == Padding.Same) continue; // output size = input size
            long padding = _target.padding?[i] ?? 0;
            long output = (size + 2 * padding - _target.dilation[i] * (_target.kernel_size[i] - 1) - 1) / _target.stride[i] + 1;
            positions = positions / Math.Max(1, size) * Math.Max(0, output);
        }
        return positions;
    }

    /// <summary>The kind's functional convolution with the target's stride and dilation and the given zero padding.</summary>
    private protected abstract Tensor Convolve(Tensor input, Tensor weight, Tensor? bias, long[] padding);

    /// <summary>The kind's functional convolution with the target's stride and dilation and a padding rule.</summary>
    private protected abstract Tensor Convolve(Tensor input, Tensor weight, Tensor? bias, Padding padding);

    /// <inheritdoc/>
    public override Tensor LowRankForward(Tensor input)
    {
        using var dropped = Dropout(input);
        return LowRankOfDropped(dropped);
    }

    /// <inheritdoc/>
    private protected override Tensor LowRankOfDropped(Tensor dropped)
    {
        using var down = _loraA.forward(dropped);
        return _loraB.forward(down);
    }

    /// <inheritdoc/>
    private protected override Tensor BaseWithoutBias(Tensor input) => TargetConvolution(input, _target.weight!, withBias: false);

    /// <inheritdoc/>
    private protected override Tensor? BaseBias => _target.bias;

    /// <summary>PEFT's shape of a convolution's m: (1, out, 1, …).</summary>
    private protected override long[] MagnitudeShape => [1, OutFeatures, .. Enumerable.Repeat(1L, _target.kernel_size.Length)];

    /// <summary>(out, 1, …): the channel axis of a batched or unbatched output.</summary>
    private protected override long[] OutputChannelShape => [OutFeatures, .. Enumerable.Repeat(1L, _target.kernel_size.Length)];

    /// <inheritdoc/>
    public override void ResetLoraParameters() =>
        LoraInitializer.Reset(this, LoraA, LoraB, FactorLayout.OutByIn);
}
