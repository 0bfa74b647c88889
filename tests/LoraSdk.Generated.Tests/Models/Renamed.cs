using LoraSdk;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests.Models;

/// <summary>Targets under TorchSharp's [ComponentName] (a field and an auto-property's backing field).</summary>
[LoRA(rank: 2)]
public sealed partial class Renamed : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "q_proj")] private readonly Linear query;

    [field: ComponentName(Name = "v_proj")]
    public Linear Value { get; }

    public Renamed() : base(nameof(Renamed))
    {
        query = nn.Linear(4, 4);
        Value = nn.Linear(4, 4);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Value.forward(query.call(x));
}
