using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// torchvision's <c>downsample</c> of a <see cref="BasicBlock"/>: a strided 1×1 convolution and a batch norm,
/// registered as <c>0</c> and <c>1</c> like the <c>Sequential</c> it replaces (so state-dict and PEFT keys are
/// <c>layer2.0.downsample.0.weight</c>, <c>…downsample.0.lora_A.weight</c>). Only the first block of layers 2–4
/// has one; the block holds it in a nullable field of this non-layer type, which is no LoRA target of the
/// block. The adapter of its convolution is attached here by hand under the name <c>0</c> (a C# field cannot
/// be called that), with the options the block's <c>[LoRA]</c> attribute declares.
/// The strided 1×1 convolution is computed as subsampling (every <c>stride</c>-th row and column) followed by a
/// stride-1 1×1 convolution: the same numbers, and the weights are the same tensors. (Written so when NaN input
/// gradients appeared here; their cause was oneDNN's AVX-512 kernels on AMD, now capped by OneDnnIsaCap.)
/// </summary>
public sealed class Downsample : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d _conv;
    private readonly BatchNorm2d _norm;
    private readonly LoraAdapter _adapter;
    private readonly long _stride;

    public Downsample(long inChannels, long outChannels, long stride, LoraOptions lora) : base(nameof(Downsample))
    {
        _stride = stride;
        _conv = nn.Conv2d(inChannels, outChannels, (1, 1), bias: false);
        _norm = nn.BatchNorm2d(outChannels, eps: ResNet18.BatchNormEpsilon);
        register_module("0", _conv);
        register_module("1", _norm);
        var options = LoraOptionsOverride.Current?.ApplyTo(lora) ?? lora;
        _adapter = LoraAdapter.Attach(this, "0", _conv, options);
        this.FreezeBase();
    }

    /// <summary>Registered by hand in the constructor (names 0 and 1), not from the fields.</summary>
    protected override void RegisterComponents() { }

    public LoraAdapter Adapter => _adapter;

    public override Tensor forward(Tensor input)
    {
        using var sampled = _stride == 1 ? input.alias() : input[.., .., TensorIndex.Slice(step: _stride), TensorIndex.Slice(step: _stride)];
        using var projected = LoraRouter.Forward(_conv, sampled, "LoraSdk.Models.Downsample.0");
        return FrozenBatchNorm.Apply(_norm, projected);
    }
}
