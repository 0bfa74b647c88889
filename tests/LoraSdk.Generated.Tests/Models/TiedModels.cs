using LoraSdk;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests.Models;

/// <summary>The usual LM weight tying (head.weight = tok.weight), both tied layers adapted.</summary>
[LoRA(rank: 2, Alpha = 3)]
public sealed partial class TiedLm : nn.Module<Tensor, Tensor>
{
    public const long Vocabulary = 11, Dim = 6;
    private readonly Embedding tok;
    private readonly Linear head;

    public TiedLm() : base(nameof(TiedLm))
    {
        tok = nn.Embedding(Vocabulary, Dim);
        head = nn.Linear(Dim, Vocabulary, hasBias: false);
        head.weight = tok.weight!;
        RegisterComponents();
    }

    public Tensor SharedWeight => tok.weight!;

    public override Tensor forward(Tensor ids)
    {
        using var hidden = tok.forward(ids);
        return head.forward(hidden);
    }
}

/// <summary>Tied weights with only the head adapted: the embedding is a plain (frozen) user of the same tensor.</summary>
[LoRA(rank: 2, Alpha = 4)]
public sealed partial class TiedHeadOnlyLm : nn.Module<Tensor, Tensor>
{
    [NoLoRA] private readonly Embedding tok;
    private readonly Linear head;

    public TiedHeadOnlyLm() : base(nameof(TiedHeadOnlyLm))
    {
        tok = nn.Embedding(TiedLm.Vocabulary, TiedLm.Dim);
        head = nn.Linear(TiedLm.Dim, TiedLm.Vocabulary, hasBias: false);
        head.weight = tok.weight!;
        RegisterComponents();
    }

    public Tensor SharedWeight => tok.weight!;

    public override Tensor forward(Tensor ids)
    {
        using var hidden = tok.forward(ids);
        return head.forward(hidden);
    }
}

/// <summary>A [LoRA] block whose head is tied by its (non-LoRA) parent to a layer the block cannot see.</summary>
[LoRA(rank: 2)]
public sealed partial class Decoder : nn.Module<Tensor, Tensor>
{
    private readonly Linear head;

    public Decoder() : base(nameof(Decoder))
    {
        head = nn.Linear(TiedLm.Dim, TiedLm.Vocabulary, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Ties the head to an embedding table (inside the class: the target itself never leaves it).</summary>
    public void TieHeadTo(Embedding embedding) => head.weight = embedding.weight!;

    public override Tensor forward(Tensor hidden) => head.forward(hidden);
}

/// <summary>Plain root: its own embedding, tied to the head of its [LoRA] decoder block.</summary>
public sealed class CrossTiedLm : nn.Module<Tensor, Tensor>
{
    private readonly Embedding tok;
    private readonly Decoder decoder;

    public CrossTiedLm() : base(nameof(CrossTiedLm))
    {
        tok = nn.Embedding(TiedLm.Vocabulary, TiedLm.Dim);
        decoder = new Decoder();
        decoder.TieHeadTo(tok);
        RegisterComponents();
    }

    public Decoder Block => decoder;

    public override Tensor forward(Tensor ids)
    {
        using var hidden = tok.forward(ids);
        return decoder.call(hidden);
    }
}
