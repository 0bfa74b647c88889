using LoraSdk;
using LoraSdk.Models;
using TorchSharp;

namespace Company.LoraProject.Model;

/// <summary>
/// The pretrained ResNet-18 (weights from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package) with a new head for
/// this project's labels. LoraSdk.Models' ResNet18, BasicBlock and Downsample carry the [LoRA] attributes: an adapter
/// on every convolution (torchvision names: conv1, layer1.0.conv1, layer2.0.downsample.0, ...). The head <c>fc</c> is
/// trained in full and saved with the adapter (PEFT's modules_to_save).
/// </summary>
public static class GarmentClassifier
{
    public const string Head = ResNet18.HeadName;

    /// <summary>The device to use: the GPU when TorchSharp sees one (LoraSdkBackend=cuda), else the CPU.</summary>
    public static torch.Device Device => torch.cuda.is_available() ? torch.CUDA : torch.CPU;

    /// <summary>Pretrained ResNet-18, adapters attached with this project's rank and alpha, only adapters and head trainable.</summary>
    public static ResNet18 Create(int labelCount, long seed)
    {
        torch.manual_seed(seed); // the adapters' A and the head start the same on every run
        ResNet18 model;
        using (LoraOptionsOverride.Apply(AdapterOptions(rank: 8)))
            model = ResNet18Package.Load(labelCount);
        model.FreezeBase(Head);
        return model;
    }

    /// <summary>The adapters' options (dotnet new --rank/--alpha): scaling = alpha / rank.</summary>
    private static LoraOptionsOverride AdapterOptions(int rank) => new() { Rank = rank, Alpha = 16 };
}
