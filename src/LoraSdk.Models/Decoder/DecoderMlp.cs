using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// The SwiGLU feed-forward of a Llama-family layer (HuggingFace's <c>mlp</c>): <c>down_proj(silu(gate_proj x) * up_proj x)</c>.
/// Adapters as <see cref="DecoderAttention"/>: chosen at build time, PEFT's defaults declared.
/// </summary>
[LoRA(rank: 8, Alpha = 8)]
public sealed partial class DecoderMlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // HuggingFace's module names are the state-dict and adapter keys
    private readonly Linear gate_proj;
    private readonly Linear up_proj;
    private readonly Linear down_proj;
#pragma warning restore IDE1006

    /// <summary>Creates the projections with <paramref name="config"/>'s sizes, randomly initialised.</summary>
    public DecoderMlp(DecoderConfig config) : this(config, initialise: true)
    {
    }

    /// <summary>Creates the projections, randomly initialised or (for a loader that overwrites them) uninitialised.</summary>
    internal DecoderMlp(DecoderConfig config, bool initialise) : base("mlp")
    {
        gate_proj = DecoderWeights.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, initialise);
        up_proj = DecoderWeights.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, initialise);
        down_proj = DecoderWeights.Linear(config.IntermediateSize, config.HiddenSize, config.MlpBias, initialise);
        RegisterComponents();
    }

    /// <summary>(… × hidden) in, the same shape out.</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var gated = nn.functional.silu(gate_proj.forward(hidden)).mul_(up_proj.forward(hidden));
        return down_proj.forward(gated).MoveToOuterDisposeScope();
    }
}
