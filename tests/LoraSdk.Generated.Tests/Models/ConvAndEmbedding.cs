using LoraSdk;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests.Models;

[LoRA(rank: 3, Alpha = 6, UseRsLoRA = true)]
public sealed partial class ConvNet : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public ConvNet() : base(nameof(ConvNet))
    {
        conv = nn.Conv2d(2, 5, 3, stride: 2, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => conv.forward(x);
}

[LoRA(rank: 4, Alpha = 2)]
public sealed partial class TokenEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Embedding table;

    public TokenEmbedding() : base(nameof(TokenEmbedding))
    {
        table = nn.Embedding(11, 6);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids) => table.call(ids);
}
