using LoraSdk;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests.Models;

/// <summary>DoRA declared on the class and switched off on one field (a field's value wins).</summary>
[LoRA(rank: 2, Alpha = 4, UseDoRA = true)]
public sealed partial class DoraMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear up;
    [LoRA(rank: 2, Alpha = 4, UseDoRA = false)] private readonly Linear down;

    public DoraMlp() : base(nameof(DoraMlp))
    {
        up = nn.Linear(6, 8);
        down = nn.Linear(8, 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var hidden = up.forward(x);
        using var activated = hidden.relu();
        return down.call(activated);
    }
}
