using LoraSdk;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Layers;

/// <summary>The measured layer with a generated rank-8 adapter; its forward is the intercepted call.</summary>
[LoRA(rank: 8, Alpha = 16)]
public sealed partial class AdaptedLinear : nn.Module<Tensor, Tensor>
{
    private readonly Linear layer;

    public AdaptedLinear(Linear layer) : base(nameof(AdaptedLinear))
    {
        this.layer = layer;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => layer.forward(x);
}

/// <summary>The same layer without LoRA: the baseline, and full fine-tuning when its weight is trainable.</summary>
public sealed class PlainLinear : nn.Module<Tensor, Tensor>
{
    private readonly Linear layer;

    public PlainLinear(Linear layer) : base(nameof(PlainLinear))
    {
        this.layer = layer;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => layer.forward(x);
}
