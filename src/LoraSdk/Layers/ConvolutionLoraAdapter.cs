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

    public override long InFeatures => _target.in_channels;
    public override long OutFeatures => _target.out_channels;
    public override Tensor BaseWeight => _target.weight!;

    /// <summary>A, shape (r × in × kernel…).</summary>
    public Tensor LoraA => _loraA.weight!;

    /// <summary>B, shape (out × r × 1…).</summary>
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

    public override void ResetLoraParameters() =>
        LoraInitializer.Reset(Options.Init, LoraA, LoraB, Rank, Scaling, BaseWeight, OutFeatures);
}
