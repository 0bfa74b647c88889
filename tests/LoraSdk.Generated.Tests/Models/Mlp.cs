using LoraSdk;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests.Models;

/// <summary>Two targets: one called through forward(), one through call().</summary>
[LoRA(rank: 4, Alpha = 8)]
public sealed partial class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear up;
    private readonly Linear down;

    public Mlp(long inFeatures, long hidden, long outFeatures) : base(nameof(Mlp))
    {
        up = nn.Linear(inFeatures, hidden);
        down = nn.Linear(hidden, outFeatures);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var hidden = up.forward(x);
        using var activated = hidden.relu();
        return down.call(activated);
    }
}

/// <summary>A model whose constructor forgets RegisterComponents(): its first forward must fail clearly.</summary>
[LoRA(rank: 2)]
public sealed partial class Unregistered : nn.Module<Tensor, Tensor>
{
    private readonly Linear layer;

    public Unregistered() : base(nameof(Unregistered)) => layer = nn.Linear(3, 3);

    public override Tensor forward(Tensor x) => layer.forward(x);
}

/// <summary><see cref="Mlp"/> without [LoRA]: the same layers created in the same order.</summary>
public sealed class PlainMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear up;
    private readonly Linear down;

    public PlainMlp(long inFeatures, long hidden, long outFeatures) : base(nameof(PlainMlp))
    {
        up = nn.Linear(inFeatures, hidden);
        down = nn.Linear(hidden, outFeatures);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var hidden = up.forward(x);
        using var activated = hidden.relu();
        return down.forward(activated);
    }
}
