using LoraSdk;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests.Models;

/// <summary>A class-level NF4 base with one field that declares its own Int8 base.</summary>
[LoRA(rank: 4, Alpha = 8, Base = LoraBase.Nf4)]
public sealed partial class QuantizedMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear up;
    [LoRA(rank: 2, Base = LoraBase.Int8)]
    private readonly Linear down;

    public QuantizedMlp(long inFeatures, long hidden, long outFeatures) : base(nameof(QuantizedMlp))
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

/// <summary>A quantized base declared on a class whose target is a convolution: refused when it is built.</summary>
[LoRA(rank: 2, Base = LoraBase.Int8)]
public sealed partial class QuantizedConv : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public QuantizedConv() : base(nameof(QuantizedConv))
    {
        conv = nn.Conv2d(2, 2, 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => conv.forward(x);
}

/// <summary>
/// A field renamed by TorchSharp's [ComponentName] that declares its own Base: the target's name (k_proj) differs from
/// the C# member (key), and the field's Base must still win over the class's.
/// </summary>
[LoRA(rank: 2, Base = LoraBase.Nf4)]
public sealed partial class QuantizedRenamed : nn.Module<Tensor, Tensor>
{
    [TorchSharp.Utils.ComponentName(Name = "k_proj")]
    [LoRA(rank: 2, Base = LoraBase.Int8)]
    private readonly Linear key;

    private readonly Linear value;

    public QuantizedRenamed() : base(nameof(QuantizedRenamed))
    {
        key = nn.Linear(4, 4);
        value = nn.Linear(4, 4);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var keyed = key.forward(x);
        return value.forward(keyed);
    }
}
