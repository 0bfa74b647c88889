using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// HuggingFace's <c>LlamaRMSNorm</c>: <c>weight * (x * rsqrt(mean(x²) + eps))</c>, the normalisation computed in float32
/// for half-precision inputs (as transformers does) and in float64 for float64 inputs (transformers would drop those to
/// float32; LoraSdk keeps float64 exact for reference tests). State-dict name: <c>weight</c>.
/// </summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    /// <summary>A norm over the last dimension of width <paramref name="size"/>, weight ones.</summary>
    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(size), requires_grad: false);
        _eps = eps;
        RegisterComponents();
    }

    /// <summary>(… × size) in, the same shape and dtype out.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var computeType = input.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var x = input.to_type(computeType);
        var normalized = x * rsqrt(x.pow(2).mean([-1L], keepdim: true) + _eps);
        return (weight * normalized.to_type(input.dtype)).MoveToOuterDisposeScope();
    }
}
