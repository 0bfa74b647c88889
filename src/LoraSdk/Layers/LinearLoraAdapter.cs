using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>LoRA for <see cref="Linear"/>: A is Linear(in → r), B is Linear(r → out), both without bias.</summary>
public sealed class LinearLoraAdapter : LoraAdapter
{
    private readonly Linear _target;
    private readonly Linear _loraA;
    private readonly Linear _loraB;

    /// <summary>Creates A and B for <paramref name="target"/>, initialised as <paramref name="options"/> say, so the adapted layer starts equal to the base layer.</summary>
    /// <param name="targetName">The target's name within its owner.</param>
    /// <param name="target">The frozen layer.</param>
    /// <param name="options">Rank, alpha, dropout, rsLoRA, initialisation.</param>
    public LinearLoraAdapter(string targetName, Linear target, LoraOptions options)
        : base(targetName, target, options)
    {
        _target = target;
        var device = target.weight!.device;
        var dtype = target.weight.dtype;
        // Created from uninitialised weights (nn.Linear(in, out) would draw its own kaiming init first):
        // ResetLoraParameters draws A once, as PEFT's init does, and zeroes B.
        _loraA = nn.Linear(LoraInitializer.Uninitialised(device, dtype, options.Rank, target.in_features));
        _loraB = nn.Linear(LoraInitializer.Uninitialised(device, dtype, target.out_features, options.Rank));
        register_module("lora_A", _loraA);
        register_module("lora_B", _loraB);
        ResetLoraParameters();
    }

    /// <inheritdoc/>
    public override LoraLayerKind Kind => LoraLayerKind.Linear;
    /// <inheritdoc/>
    public override long InFeatures => _target.in_features;
    /// <inheritdoc/>
    public override long OutFeatures => _target.out_features;
    /// <inheritdoc/>
    public override Tensor BaseWeight => _target.weight!;

    /// <summary>A, shape (r × in).</summary>
    public Tensor LoraA => _loraA.weight!;

    /// <summary>B, shape (out × r).</summary>
    public Tensor LoraB => _loraB.weight!;

    /// <inheritdoc/>
    public override IReadOnlyList<(string Name, Tensor Parameter)> ParameterNames =>
        WithMagnitude([("lora_A.weight", LoraA), ("lora_B.weight", LoraB)]);

    /// <summary>The frozen layer's forward; a quantized base is dequantized for the call (<see cref="FrozenWeight.LinearForward"/>).</summary>
    public override Tensor BaseForward(Tensor input) => Base.Weight.LinearForward(_target, input);

    /// <summary>
    /// Without autograd, where the cost rule says so, one <c>linear</c> on W + s·B·A (<see cref="EffectiveWeightPath"/>).
    /// Otherwise the fused path: base output and update in one autograd node (<see cref="FusedLinearLora"/>), the
    /// update added in place with one GEMM, and a backward that writes the input gradient once; W is read from the
    /// layer's storage, float or quantized (<see cref="FrozenWeight"/>).
    /// </summary>
    protected override Tensor AdaptedForward(Tensor input)
    {
        var weight = _target.weight!;
        long rows = input.NumberOfElements / Math.Max(1, _target.in_features);
        if (EffectiveWeightPath.Applies(this, input, weight, _target.bias, LoraA, LoraB, rows, _target.in_features))
        {
            using var effective = EffectiveWeightPath.EffectiveWeight(weight, LoraA, LoraB, Scaling);
            return nn.functional.linear(input, effective, _target.bias);
        }
        using var mask = DropoutMask(input);
        return FusedLinearLora.Forward(input, Base.Weight, _target.bias, LoraA, LoraB, Scaling, mask);
    }

    /// <summary>The same arithmetic as <see cref="AdaptedForward"/>, out of place: result + (s·d)·Bᵀ in one GEMM.</summary>
    protected override Tensor PlusUpdate(Tensor result, Tensor input)
    {
        using var mask = DropoutMask(input);
        return FusedLinearLora.Plus(result, input, LoraA, LoraB, Scaling, mask);
    }

    /// <inheritdoc/>
    public override Tensor LowRankForward(Tensor input)
    {
        using var dropped = Dropout(input);
        return LowRankOfDropped(dropped);
    }

    /// <inheritdoc/>
    private protected override Tensor LowRankOfDropped(Tensor dropped)
    {
        using var down = nn.functional.linear(dropped, LoraA);
        return nn.functional.linear(down, LoraB);
    }

    /// <inheritdoc/>
    private protected override Tensor BaseWithoutBias(Tensor input) =>
        FusedLinearLora.Forward(input, Base.Weight, null, null, null, 0, null); // x·Wᵀ alone, float or quantized storage

    /// <inheritdoc/>
    private protected override Tensor? BaseBias => _target.bias;

    /// <summary>x·Wᵀ + s·x·Aᵀ·Bᵀ as plain LoRA's fused node computes it, without bias and dropout (DoRA then scales it).</summary>
    private protected override Tensor DoraDirection(Tensor input) =>
        FusedLinearLora.Forward(input, Base.Weight, null, LoraA, LoraB, Scaling, mask: null);

    /// <inheritdoc/>
    public override Tensor DeltaWeight() => LoraB.matmul(LoraA).mul_(Scaling);

    /// <inheritdoc/>
    public override void ResetLoraParameters() => LoraInitializer.Reset(this, LoraA, LoraB, FactorLayout.OutByIn);
}
