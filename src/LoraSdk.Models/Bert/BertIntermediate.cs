using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>The feed-forward expansion with exact (erf) GELU: HuggingFace's <c>BertIntermediate</c> (child <c>dense</c>).</summary>
public sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;

    /// <summary>Creates the layers with <paramref name="config"/>'s sizes, randomly initialised (the importers load pretrained weights).</summary>
    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        RegisterComponents();
    }

    /// <summary>dense then exact GELU: (batch × sequence × intermediate).</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var expanded = dense.forward(hidden);
        return nn.functional.gelu(expanded);
    }
}
