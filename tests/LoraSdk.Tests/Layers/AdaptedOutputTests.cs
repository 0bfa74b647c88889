using LoraSdk.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>The adapted forward equals base(x) + scaling·B·A·x, computed independently in float64.</summary>
[Collection(SeededTorch.Name)]
public class AdaptedOutputTests
{
    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void AdaptedOutputIsBasePlusScaledLowRankUpdate(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        using var input = layerCase.Input();

        using var output = model.forward(input);

        Close.Relative(Float64Reference.Adapted(model.Adapter, input), output, 1e-5);
        Assert.True(Close.RelativeDistance(output, Float64Reference.Base(model.Adapter, input)) > 1e-2, "the update is not visible");
    }

    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void RoutedCallGivesTheSameAdaptedOutput(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors();
        using var input = layerCase.Input();

        using var viaCall = LoraRouter.Call(model.Layer, input, "AdaptedOutputTests.Layer");
        using var viaForward = LoraRouter.Forward(model.Layer, input, "AdaptedOutputTests.Layer");

        Assert.True(Close.Identical(viaCall, viaForward));
        Close.Relative(Float64Reference.Adapted(model.Adapter, input), viaCall, 1e-5);
    }

    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void RsLoRAScalesByAlphaOverRootRank(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors(rsLoRA: true);
        using var input = layerCase.Input();

        double alpha = model.Adapter.Options.Alpha;
        Assert.Equal(alpha / Math.Sqrt(layerCase.Rank), model.Adapter.Scaling, 12);
        using (var plain = layerCase.Create(rsLoRA: false)) Assert.Equal(alpha / layerCase.Rank, plain.Adapter.Scaling, 12);
        using var output = model.forward(input);
        Close.Relative(Float64Reference.Adapted(model.Adapter, input), output, 1e-5);
    }

    [Fact]
    public void RoutingAnUnadaptedLayerIsAClearErrorNotASilentBypass()
    {
        using var plain = nn.Linear(4, 3);
        using var input = randn(2, 4);
        Assert.False(LoraRouter.TryGetAdapter(plain, out _));
        var error = Assert.Throws<InvalidOperationException>(() => LoraRouter.Forward(plain, input, "Demo.Model.plain"));
        Assert.Contains("Demo.Model has no LoRA adapters ('Demo.Model.plain' has no adapter)", error.Message);
        Assert.Throws<InvalidOperationException>(() => LoraRouter.Call(plain, input, "Demo.Model.plain"));
    }
}
