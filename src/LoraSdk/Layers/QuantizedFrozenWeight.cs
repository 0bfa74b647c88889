using LoraSdk.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// The frozen base of a Linear as a <see cref="QuantizedWeight"/>: dequantized per use, never kept. The Linear keeps an
/// empty placeholder parameter (its dtype and device) while this is in force.
/// </summary>
internal sealed class QuantizedFrozenWeight(Linear target, QuantizedWeight quantized) : FrozenWeight
{
    /// <inheritdoc/>
    public override LoraBase Kind => quantized.Kind;

    /// <inheritdoc/>
    public override QuantizedWeight Quantized => quantized;

    /// <inheritdoc/>
    public override bool KeepDenseForBackward => false;

    /// <summary>A fresh dequantized (out × in) copy in <paramref name="dtype"/>.</summary>
    public override DenseWeight Dense(ScalarType dtype) => new(quantized.Dequantize(dtype), owned: true);

    /// <summary>
    /// <c>target.call(x)</c> with the layer's hooks: the dequantized weight is put into the Linear for this one call.
    /// Unlike <see cref="LinearForward"/>, autograd then keeps that float copy until backward.
    /// </summary>
    public override Tensor Call(Tensor input)
    {
        var placeholder = target.weight!;
        using (var dequantized = quantized.Dequantize(placeholder.dtype))
            target.weight = new Parameter(dequantized, requires_grad: false); // disposes the placeholder's handle
        try
        {
            return target.call(input);
        }
        finally
        {
            target.weight = Placeholder(target.weight!); // disposes this call's weight handle
        }
    }

    /// <summary>x·Wᵀ + b through the one Linear node (<see cref="FusedLinearLora"/>) without factors: W dequantized in forward and again in backward.</summary>
    public override Tensor LinearForward(Linear linear, Tensor input) => FusedLinearLora.Forward(input, this, linear.bias, null, null, 0, null);

    /// <summary>An empty parameter with <paramref name="like"/>'s dtype and device: what the Linear holds instead of its float weight.</summary>
    public static Parameter Placeholder(Tensor like)
    {
        using var empty = torch.empty(0, dtype: like.dtype, device: like.device);
        return new Parameter(empty, requires_grad: false);
    }
}
