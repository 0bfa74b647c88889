using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Support;

/// <summary>
/// An owner module with one target layer, adapted the way generated code does it: the layer is a
/// registered field, the adapter is attached from the constructor and the forward goes through the router.
/// </summary>
public sealed class AdaptedLayer : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> layer;

    public AdaptedLayer(nn.Module<Tensor, Tensor> layer, LoraOptions options) : base(nameof(AdaptedLayer))
    {
        this.layer = layer;
        RegisterComponents();
        Adapter = LoraAdapter.Attach(this, nameof(layer), layer, options);
    }

    public LoraAdapter Adapter { get; }

    public nn.Module<Tensor, Tensor> Layer => layer;

    public override Tensor forward(Tensor input) => LoraRouter.Forward(layer, input, "AdaptedLayer.layer");
}
