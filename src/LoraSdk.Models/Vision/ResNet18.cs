using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// ResNet-18 with torchvision's module names (<c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>,
/// <c>layer2.0.downsample.0</c>, <c>fc</c>), so state-dict keys and PEFT adapter keys are those of
/// <c>torchvision.models.resnet18</c>. LoRA (rank 8, alpha 16) sits on every convolution: the stem here, the
/// blocks' convolutions in <see cref="BasicBlock"/> and <see cref="Downsample"/>. The classifier head
/// <c>fc</c> is a new layer for the task's labels, trained in full (PEFT's <c>modules_to_save</c>).
/// Batch norms use their pretrained running statistics in training too (<see cref="FrozenBatchNorm"/>).
/// The network of the NuGet package (a CNTK export) has three blocks in its last stage where torchvision's
/// resnet18 has two (<see cref="PackageBlocks"/>: its extra block is <c>layer4.2</c>); every other name and shape
/// is torchvision's, and <see cref="TorchvisionBlocks"/> builds torchvision's layout.
/// Padding is torchvision's (symmetric); for inputs whose sides are multiples of 32 this equals the
/// asymmetric padding of the CNTK graph the pretrained weights come from.
/// </summary>
[LoRA(rank: 8, Alpha = 16, Targets = ["conv1"])]
public sealed partial class ResNet18 : nn.Module<Tensor, Tensor>
{
    /// <summary>torchvision's batch-norm epsilon.</summary>
    public const double BatchNormEpsilon = 1e-5;

    /// <summary>Width of the pooled features that feed the head.</summary>
    public const long FeatureSize = 512;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ModuleList<BasicBlock> layer1;
    private readonly ModuleList<BasicBlock> layer2;
    private readonly ModuleList<BasicBlock> layer3;
    private readonly ModuleList<BasicBlock> layer4;
    private readonly Linear fc;

    /// <summary>Blocks per stage of the pretrained network in Microsoft.ML.DnnImageFeaturizer.ResNet18.</summary>
    public static IReadOnlyList<int> PackageBlocks { get; } = [2, 2, 2, 3];

    /// <summary>Blocks per stage of torchvision's resnet18.</summary>
    public static IReadOnlyList<int> TorchvisionBlocks { get; } = [2, 2, 2, 2];

    /// <param name="blocksPerStage">Four block counts; default <see cref="PackageBlocks"/>, the pretrained network's.</param>
    /// <param name="labelCount">Classes the new head scores.</param>
    public ResNet18(int labelCount, IReadOnlyList<int>? blocksPerStage = null) : base(nameof(ResNet18))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(labelCount, 2);
        LoraSdk.Native.OneDnnIsaCap.Apply(); // before any convolution of this network runs, adapters or not (docs/models.md)
        blocksPerStage ??= PackageBlocks;
        if (blocksPerStage.Count != 4 || blocksPerStage.Any(b => b < 1))
            throw new ArgumentException($"A ResNet has four stages of at least one block; got [{string.Join(", ", blocksPerStage)}].", nameof(blocksPerStage));
        BlocksPerStage = [.. blocksPerStage];
        conv1 = nn.Conv2d(3, 64, (7, 7), stride: (2, 2), padding: (3, 3), bias: false);
        bn1 = nn.BatchNorm2d(64, eps: BatchNormEpsilon);
        layer1 = Stage(64, 64, stride: 1, blocksPerStage[0]);
        layer2 = Stage(64, 128, stride: 2, blocksPerStage[1]);
        layer3 = Stage(128, 256, stride: 2, blocksPerStage[2]);
        layer4 = Stage(256, 512, stride: 2, blocksPerStage[3]);
        fc = nn.Linear(FeatureSize, labelCount);
        LabelCount = labelCount;
        RegisterComponents();
    }

    /// <summary>The number of classes the head scores.</summary>
    public int LabelCount { get; }

    /// <summary>Basic blocks in each of the four stages (<see cref="PackageBlocks"/> or <see cref="TorchvisionBlocks"/>).</summary>
    public IReadOnlyList<int> BlocksPerStage { get; }

    /// <summary>The classifier head (<c>fc</c>).</summary>
    public Linear Head => fc;

    /// <summary>The module path of <see cref="Head"/>, for <c>FreezeBase</c> and ModulesToSave.</summary>
    public const string HeadName = "fc";

    /// <summary>Logits (batch × labels) for preprocessed images (batch × 3 × height × width, see <see cref="ResNetPreprocessing"/>).</summary>
    public override Tensor forward(Tensor images)
    {
        using var features = Features(images);
        return fc.forward(features);
    }

    /// <summary>
    /// The globally average-pooled output of the last stage (batch × 512): what the pretrained ONNX graph
    /// outputs (there as batch × 512 × 1 × 1).
    /// </summary>
    public Tensor Features(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException($"ResNet-18 takes images as (batch × 3 × height × width); got [{string.Join(", ", images.shape)}].", nameof(images));
        using var scope = NewDisposeScope();
        var x = FrozenBatchNorm.Apply(bn1, conv1.forward(images)).relu_();
        x = nn.functional.max_pool2d(x, 3, 2, 1);
        foreach (var stage in new[] { layer1, layer2, layer3, layer4 })
        {
            foreach (var block in stage) x = block.call(x);
        }
        return x.mean([2, 3]).MoveToOuterDisposeScope();
    }

    private static ModuleList<BasicBlock> Stage(long inChannels, long outChannels, long stride, int blocks) =>
        nn.ModuleList([new BasicBlock(inChannels, outChannels, stride), .. Enumerable.Range(1, blocks - 1).Select(_ => new BasicBlock(outChannels, outChannels, 1))]);
}
