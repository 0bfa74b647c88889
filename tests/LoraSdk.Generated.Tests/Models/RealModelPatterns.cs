using LoraSdk;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests.Models;

// The model shapes of issue #10 that used to compile without a word and skip their adapters.

/// <summary>A 1-D convolution (audio, time series).</summary>
[LoRA(rank: 2, Alpha = 3)]
public sealed partial class AudioConv : nn.Module<Tensor, Tensor>
{
    private readonly Conv1d conv;

    public AudioConv() : base(nameof(AudioConv))
    {
        conv = nn.Conv1d(3, 5, 3, stride: 2, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => conv.forward(x);
}

/// <summary>ResNet's optional projection: <c>downsample</c> exists only when the shapes differ.</summary>
[LoRA(rank: 2, Alpha = 4)]
public sealed partial class ResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly Linear body;
    private readonly Linear? downsample;

    public ResidualBlock(bool project) : base(nameof(ResidualBlock))
    {
        body = nn.Linear(4, 4);
        if (project) downsample = nn.Linear(4, 4);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var identity = downsample is null ? x : downsample.forward(x);
        return body.forward(x).add(identity).add(downsample?.call(x) ?? x);
    }
}

/// <summary>Mixture of experts: a ModuleList of experts and a ModuleDict of heads.</summary>
[LoRA(rank: 2, Alpha = 4)]
public sealed partial class MixtureOfExperts : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> experts = new();
    private readonly ModuleDict<Linear> heads = new();

    public MixtureOfExperts() : base(nameof(MixtureOfExperts))
    {
        for (int i = 0; i < 3; i++) experts.Add(nn.Linear(4, 4));
        heads.Add("left", nn.Linear(4, 2));
        heads.Add("right", nn.Linear(4, 2));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var hidden = experts[0].forward(x);
        foreach (var expert in experts) hidden = hidden.add(expert.call(x));
        var output = heads["left"].forward(hidden);
        foreach (var (_, head) in heads) output = output.add(head.forward(hidden));
        return output;
    }
}

/// <summary>An abstract [LoRA] base declares the attention projection; the [LoRA] derived class adds a head.</summary>
[LoRA(rank: 2, Alpha = 4)]
public abstract partial class EncoderBase : nn.Module<Tensor, Tensor>
{
    protected Linear query;

    protected EncoderBase() : base(nameof(EncoderBase)) => query = nn.Linear(4, 4);

    protected Tensor Encode(Tensor x) => query.forward(x).relu();
}

[LoRA(rank: 3, Alpha = 3)]
public sealed partial class TaggerModel : EncoderBase
{
    private readonly Linear head;

    public TaggerModel()
    {
        head = nn.Linear(4, 2);
        RegisterComponents();
    }

    // Both an inherited-target call in the base (Encode) and one here.
    public override Tensor forward(Tensor x) => head.forward(Encode(x).add(query.call(x)));
}
