using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>A model whose adapters the SDK generated: every operation is the SDK's own extension method.</summary>
public sealed class SdkVariant(nn.Module<Tensor, Tensor, Tensor> model) : EncoderVariant
{
    private IDisposable? _fullFineTuning;

    public override nn.Module<Tensor, Tensor, Tensor> Model => model;

    public override void TrainAdaptersAndHead() => model.FreezeBase("classifier");

    public override void TrainEverything()
    {
        _fullFineTuning = model.DisableLoRA();
        var basePaths = model.BaseParameters().Keys.ToHashSet();
        foreach (var (name, parameter) in model.named_parameters()) parameter.requires_grad = basePaths.Contains(name);
    }

    public override IDisposable AdaptersOff() => model.DisableLoRA();

    public override void Merge() => model.MergeLoRA();

    public override void Unmerge() => model.UnmergeLoRA();

    public override IEnumerable<Tensor> AdapterFactors => model.LoraParameters().Select(p => p.Parameter);
}
