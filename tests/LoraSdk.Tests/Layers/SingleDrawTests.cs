using LoraSdk.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>
/// Creating an adapter draws random numbers once per target, as PEFT's init does: A = one kaiming-uniform draw
/// (or one normal draw for Gaussian), B zeros, nothing else from the generator.
/// </summary>
[Collection(SeededTorch.Name)]
public class SingleDrawTests
{
    [Theory]
    [InlineData("Linear")]
    [InlineData("Linear without bias")]
    [InlineData("Conv2d 3x3 stride 2 padding 1")]
    [InlineData("Conv2d 1x1")]
    [InlineData("Conv2d 3x3 same padding")]
    public void KaimingAIsTheOnlyDrawAndEqualsADirectDrawOfItsShape(string name)
    {
        var layerCase = LayerCase.Named(name);
        var layer = layerCase.CreateLayer();

        torch.manual_seed(77);
        var model = layerCase.Adapt(layer);
        using var next = randn(8);

        var a = LoraFactors.A(model.Adapter);
        torch.manual_seed(77);
        using var expected = empty(a.shape);
        nn.init.kaiming_uniform_(expected, Math.Sqrt(5));
        using var expectedNext = randn(8);

        Assert.True(Close.Identical(a, expected), "A is not one kaiming-uniform(a = √5) draw from the seed");
        Assert.Equal(0, LoraFactors.B(model.Adapter).count_nonzero().item<long>());
        Assert.True(Close.Identical(next, expectedNext), "creating the adapter drew more random numbers than A's");
    }

    [Fact]
    public void GaussianAIsTheOnlyDraw()
    {
        var layer = LayerCase.Linear.CreateLayer();
        torch.manual_seed(78);
        var model = LayerCase.Linear.Adapt(layer, LoraInit.Gaussian);
        using var next = randn(8);

        var a = LoraFactors.A(model.Adapter);
        torch.manual_seed(78);
        using var expected = empty(a.shape);
        nn.init.normal_(expected, 0, 1.0 / LayerCase.Linear.Rank);
        using var expectedNext = randn(8);

        Assert.True(Close.Identical(a, expected));
        Assert.True(Close.Identical(next, expectedNext), "creating the adapter drew more random numbers than A's");
    }

    [Fact]
    public void FactorsBuiltWithoutOwnInitStillMoveWithTheModel()
    {
        using var model = LayerCase.Conv3x3.CreateWithRandomFactors();
        using var input = LayerCase.Conv3x3.Input();
        using var expected = model.forward(input).to(float64);

        model.to(float64);
        using var input64 = input.to(float64);
        using var actual = model.forward(input64);

        Assert.Equal(ScalarType.Float64, LoraFactors.A(model.Adapter).dtype);
        Assert.Equal(DeviceType.CPU, LoraFactors.A(model.Adapter).device_type);
        Close.Relative(expected, actual, 1e-5);
    }
}
