using LoraSdk.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>Dropout on the adapter input, switched by the owning module's train()/eval().</summary>
[Collection(SeededTorch.Name)]
public class DropoutTests
{
    public static TheoryData<string> DroppingCases() => [LayerCase.Linear.Name, LayerCase.Conv3x3.Name];

    [Theory]
    [MemberData(nameof(DroppingCases))]
    public void DropoutIsActiveInTrainAndOffInEvalThroughTheOwner(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.CreateWithRandomFactors(dropout: 0.5);
        using var input = layerCase.Input();
        using var expected = Float64Reference.Adapted(model.Adapter, input);

        model.train();
        Assert.True(model.Adapter.training);
        using var first = model.forward(input);
        using var second = model.forward(input);
        Assert.False(Close.Identical(first, second), "two training forwards used the same mask");
        Assert.True(Close.RelativeDistance(first, expected) > 1e-3, "no dropout in train()");

        model.eval();
        Assert.False(model.Adapter.training);
        using var evaluated = model.forward(input);
        Close.Relative(expected, evaluated, 1e-5);
    }

    [Theory]
    [MemberData(nameof(DroppingCases))]
    public void DropoutNeverTouchesTheBasePath(string name)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.Create(dropout: 0.9); // B = 0: the low-rank path adds nothing
        using var input = layerCase.Input();
        model.train();

        using var output = model.forward(input);

        Assert.True(Close.Identical(model.Layer.forward(input), output));
    }

    [Fact]
    public void EmbeddingsApplyNoDropoutToTokenIds()
    {
        using var model = LayerCase.Embedding.CreateWithRandomFactors(dropout: 0.5);
        using var input = LayerCase.Embedding.Input();
        model.train();

        using var output = model.forward(input);

        Close.Relative(Float64Reference.Adapted(model.Adapter, input), output, 1e-5);
    }
}
