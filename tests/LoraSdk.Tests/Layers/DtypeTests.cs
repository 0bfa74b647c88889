using LoraSdk.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>
/// model.to(dtype) must move the adapters with the model (they are registered on the owner, not under the
/// sealed layer) and leave them usable: no stale ("empty handle") tensors afterwards.
/// </summary>
[Collection(SeededTorch.Name)]
public class DtypeTests
{
    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void ToFloat64MovesTheFactorsAndTheForwardStillMatches(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        using var input = layerCase.Input();
        using var single = model.forward(input);

        model.to(float64);

        Assert.All(model.parameters(), p => Assert.Equal(float64, p.dtype));
        Assert.All(model.Adapter.ParameterNames, p => Assert.Equal(float64, p.Parameter.dtype));
        Assert.All(model.Adapter.ParameterNames, p => Assert.True(p.Parameter.requires_grad, p.Name));
        Assert.All(model.Layer.parameters(), p => Assert.False(p.requires_grad));
        using var wide = input.is_floating_point() ? input.to(float64) : input.alias();
        using var output = model.forward(wide);
        Assert.Equal(float64, output.dtype);
        Close.Relative(Float64Reference.Adapted(model.Adapter, wide), output, 1e-12);
        Close.Relative(single, output, 1e-5);
    }

    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void AdaptersKeepWorkingAfterTo(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        using var input = layerCase.Input();
        model.to(float64).to(float32);
        using var adapted = model.forward(input);

        model.Adapter.Merge(safe: true);
        using var merged = model.forward(input);
        model.Adapter.Unmerge();

        Close.Relative(adapted, merged, 1e-5);
        using var scope = NewDisposeScope();
        using var loss = model.forward(input).square().sum();
        loss.backward();
        Assert.All(model.Adapter.ParameterNames, p => Assert.NotNull(p.Parameter.grad));
    }

    [Fact]
    public void LoraParametersAreTheLiveTensorsAfterTo()
    {
        using var model = LayerCase.Linear.CreateWithRandomFactors();
        using var input = LayerCase.Linear.Input().to(float64);
        model.to(float64);

        // Zeroing what LoraParameters() returns must switch the update off in the moved model.
        using (no_grad())
            foreach (var (_, parameter) in model.LoraParameters()) parameter.zero_();

        using var output = model.forward(input);
        Assert.True(Close.Identical(model.Layer.forward(input), output));
    }

    [Fact]
    public void FactorsTakeTheDtypeOfTheirTarget()
    {
        torch.manual_seed(21);
        using var model = new AdaptedLayer(nn.Linear(4, 3, dtype: float64), new LoraOptions(2, alpha: 2));
        Assert.All(model.Adapter.ParameterNames, p => Assert.Equal(float64, p.Parameter.dtype));
    }

    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void HalfPrecisionModelsForwardAndMerge(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors(scale: 0.1);
        using var input = layerCase.Input();
        using var single = model.forward(input);
        using var singleBase = model.Adapter.BaseForward(input);
        using var mergedWeight = MergedWeightInFloat32(model.Adapter);
        model.to(bfloat16);
        using var narrow = input.is_floating_point() ? input.to(bfloat16) : input.alias();

        using var adapted = model.forward(narrow);
        using var narrowBase = model.Adapter.BaseForward(narrow);
        model.Adapter.Merge(safe: true);
        using var merged = model.forward(narrow);

        Assert.Equal(bfloat16, adapted.dtype);
        Close.Relative(mergedWeight, model.Adapter.BaseWeight.to(float32), 2e-2); // bfloat16 keeps 8 bits of mantissa
        // libtorch 2.10's bfloat16 kernel for Conv2d with a kernel larger than 1×1 is wrong on CPUs with AVX512-BF16
        // (measured: 0.5 relative error for the bare layer, LoRA or not; docs/numerics.md). Outputs are compared only
        // where the frozen layer itself computes correctly in bfloat16 on this machine; the merged weight always is.
        if (Close.RelativeDistance(singleBase, narrowBase.to(float32)) > 2e-2) return;
        Close.Relative(single, adapted, 2e-2);
        Close.Relative(adapted, merged, 2e-2);
    }

    private static Tensor MergedWeightInFloat32(LoraAdapter adapter)
    {
        using var _ = no_grad();
        using var delta = adapter.DeltaWeight();
        return adapter.BaseWeight.add(delta);
    }
}
