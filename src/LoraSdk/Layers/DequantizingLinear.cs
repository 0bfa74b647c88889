using LoraSdk.Quantization;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// y = x·Wᵀ + b for a quantized W as one autograd node: W is dequantized for the forward GEMM and freed right after,
/// and dequantized again in backward for dx = g·W, so no layer keeps a float copy of its weight between forward and
/// backward. The weight and the bias are frozen (no gradients for them).
/// </summary>
internal sealed class DequantizingLinear : autograd.SingleTensorFunction<DequantizingLinear>
{
    public override string Name => nameof(DequantizingLinear);

    public static Tensor Forward(Tensor input, QuantizedWeight weight, Tensor? bias)
    {
        if (!is_grad_enabled() || !input.requires_grad)
        {
            using var w = weight.Dequantize(input.dtype);
            return nn.functional.linear(input, w, bias);
        }
        var temporaries = new List<Tensor>();
        try
        {
            return apply(input, weight, bias, temporaries);
        }
        finally
        {
            foreach (var tensor in temporaries) tensor.Dispose(); // autograd wrapped the output in a handle of its own
        }
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (input, weight, bias, temporaries) = ((Tensor)vars[0], (QuantizedWeight)vars[1], vars[2] as Tensor, (List<Tensor>)vars[3]);
        ctx.save_data(nameof(QuantizedWeight), weight);
        ctx.save_data(nameof(Tensor.shape), input.shape);
        ctx.save_data(nameof(Tensor.dtype), input.dtype);
        ctx.set_materialize_grads(false);
        using var w = weight.Dequantize(input.dtype);
        var output = nn.functional.linear(input, w, bias);
        temporaries.Add(output);
        return output;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var grads = new List<Tensor>(new Tensor[4]);
        if (gradOutput is null || gradOutput.IsInvalid) return grads;
        var weight = (QuantizedWeight)ctx.get_data(nameof(QuantizedWeight));
        var shape = (long[])ctx.get_data(nameof(Tensor.shape));
        using var w = weight.Dequantize((ScalarType)ctx.get_data(nameof(Tensor.dtype)));
        using var g = gradOutput.reshape(-1, gradOutput.shape[^1]);
        using var dx = g.mm(w);
        grads[0] = dx.view(shape);
        return BackwardHandles.Finish(gradOutput, grads);
    }
}
