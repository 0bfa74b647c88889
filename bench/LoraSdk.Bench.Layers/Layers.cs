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

/// <summary>
/// The same LoRA update left to autograd's composite graph (what the generated code ran before the fused node):
/// base output, then result += s·(x·Aᵀ)·Bᵀ with an in-place addmm_. Compares the fused backward with autograd's.
/// </summary>
public sealed class CompositeLoraLinear : nn.Module<Tensor, Tensor>
{
    private readonly Linear layer;
    private readonly Linear lora_A;
    private readonly Linear lora_B;

    public CompositeLoraLinear(Linear layer, int rank) : base(nameof(CompositeLoraLinear))
    {
        this.layer = layer;
        lora_A = nn.Linear(layer.in_features, rank, hasBias: false);
        lora_B = nn.Linear(rank, layer.out_features, hasBias: false);
        RegisterComponents();
        foreach (var p in layer.parameters()) p.requires_grad = false;
    }

    public double Scaling { get; init; } = 2.0;

    public void CopyFactors(IEnumerable<Tensor> factors)
    {
        using var _ = no_grad();
        var (a, b) = (factors.First(), factors.Last());
        lora_A.weight!.copy_(a);
        lora_B.weight!.copy_(b);
    }

    public override Tensor forward(Tensor x)
    {
        var result = layer.forward(x);
        using var down = nn.functional.linear(x, lora_A.weight!);
        using var result2d = result.view(-1, result.shape[^1]);
        using var down2d = down.reshape(-1, down.shape[^1]);
        using var bT = lora_B.weight!.t();
        result2d.addmm_(down2d, bT, beta: 1, alpha: (float)Scaling);
        return result;
    }
}
