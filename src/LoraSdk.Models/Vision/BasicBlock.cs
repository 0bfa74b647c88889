using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// torchvision's ResNet <c>BasicBlock</c>: two 3×3 convolutions with batch norm, a residual connection and,
/// where the block changes resolution or width, a <see cref="Downsample"/> on the shortcut. The attribute puts
/// rank-8 adapters (alpha 16) on <c>conv1</c> and <c>conv2</c>; the downsample convolution gets the same options.
/// </summary>
[LoRA(rank: 8, Alpha = 16)]
public sealed partial class BasicBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Downsample? downsample;

    /// <summary>Two 3×3 convolutions with batch norm; a downsample path when the shape changes.</summary>
    public BasicBlock(long inChannels, long outChannels, long stride) : base(nameof(BasicBlock))
    {
        conv1 = nn.Conv2d(inChannels, outChannels, (3, 3), stride: (stride, stride), padding: (1, 1), bias: false);
        bn1 = nn.BatchNorm2d(outChannels, eps: ResNet18.BatchNormEpsilon);
        conv2 = nn.Conv2d(outChannels, outChannels, (3, 3), padding: (1, 1), bias: false);
        bn2 = nn.BatchNorm2d(outChannels, eps: ResNet18.BatchNormEpsilon);
        if (stride != 1 || inChannels != outChannels)
            downsample = new Downsample(inChannels, outChannels, stride, LoraTargets[0].Options);
        RegisterComponents();
    }

    /// <summary>True when the shortcut needs a projection (stride or channels change).</summary>
    public bool HasDownsample => downsample is not null;

    /// <summary>relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = FrozenBatchNorm.Apply(bn1, conv1.forward(input)).relu();
        x = FrozenBatchNorm.Apply(bn2, conv2.forward(x));
        var shortcut = downsample is null ? input : downsample.call(input);
        return x.add(shortcut).relu().MoveToOuterDisposeScope();
    }
}
