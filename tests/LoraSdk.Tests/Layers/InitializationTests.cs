using LoraSdk.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>PEFT's initialisations: the adapted model starts exactly equal to the base model.</summary>
[Collection(SeededTorch.Name)]
public class InitializationTests
{
    public static TheoryData<string, LoraInit> CasesAndZeroStartInits()
    {
        var data = new TheoryData<string, LoraInit>();
        foreach (var layerCase in LayerCase.All)
        {
            data.Add(layerCase.Name, LoraInit.Kaiming);
            data.Add(layerCase.Name, LoraInit.Gaussian);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CasesAndZeroStartInits))]
    public void OutputEqualsTheBaseLayerAtInit(string name, LoraInit init)
    {
        var layerCase = LayerCase.Named(name);
        using var model = layerCase.Create(init);
        using var input = layerCase.Input();

        using var adapted = model.forward(input);
        using var baseOutput = model.Layer.forward(input);

        Assert.True(Close.Identical(adapted, baseOutput), "the adapter changed the output at init");
        Close.Relative(Float64Reference.Base(model.Adapter, input), adapted, 1e-6);
    }

    [Theory]
    [InlineData("Linear", 6L)]
    [InlineData("Conv2d 3x3 stride 2 padding 1", 3L * 3 * 3)]
    [InlineData("Conv2d 1x1", 4L)]
    public void KaimingPutsAWithinTheUniformBoundAndBAtZero(string name, long fanIn)
    {
        using var model = LayerCase.Named(name).Create(LoraInit.Kaiming);
        // kaiming_uniform(a = √5): bound = √(6 / ((1 + a²)·fan_in)) = 1/√fan_in, nn.Linear's default.
        double bound = 1 / Math.Sqrt(fanIn);
        double[] a = LoraFactors.A(model.Adapter).data<float>().ToArray().Select(v => (double)v).ToArray();

        Assert.All(a, v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.True(a.Max() > bound / 3 && a.Min() < -bound / 3, "A is not spread over the bound");
        Assert.Equal(0, LoraFactors.B(model.Adapter).count_nonzero().item<long>());
    }

    [Fact]
    public void GaussianDrawsAWithStandardDeviationOneOverRank()
    {
        torch.manual_seed(11);
        const int rank = 4;
        var model = new AdaptedLayer(nn.Linear(400, 5), new LoraOptions(rank, alpha: 8, init: LoraInit.Gaussian));
        double std = LoraFactors.A(model.Adapter).std().item<float>();

        Assert.InRange(std, 0.9 / rank, 1.1 / rank);
        Assert.Equal(0, LoraFactors.B(model.Adapter).count_nonzero().item<long>());
    }

    [Fact]
    public void EmbeddingFollowsPeftWithAZerosAndBStandardNormal()
    {
        torch.manual_seed(12);
        var model = new AdaptedLayer(nn.Embedding(20, 100), new LoraOptions(4, alpha: 8));
        var adapter = (EmbeddingLoraAdapter)model.Adapter;

        Assert.Equal([4L, 20L], adapter.LoraA.shape);
        Assert.Equal([100L, 4L], adapter.LoraB.shape);
        Assert.Equal(0, adapter.LoraA.count_nonzero().item<long>());
        Assert.InRange(adapter.LoraB.std().item<float>(), 0.85, 1.15);
        Assert.InRange(adapter.LoraB.mean().item<float>(), -0.2, 0.2);
    }

    [Theory]
    [InlineData("Linear", new long[] { 3, 6 }, new long[] { 5, 3 })]
    [InlineData("Conv2d 3x3 stride 2 padding 1", new long[] { 2, 3, 3, 3 }, new long[] { 4, 2, 1, 1 })]
    [InlineData("Embedding", new long[] { 3, 10 }, new long[] { 6, 3 })]
    public void FactorShapesFollowPeft(string name, long[] aShape, long[] bShape)
    {
        using var model = LayerCase.Named(name).Create();
        Assert.Equal(aShape, LoraFactors.A(model.Adapter).shape);
        Assert.Equal(bShape, LoraFactors.B(model.Adapter).shape);
    }

    [Fact]
    public void BaseParametersAreFrozenAndFactorsTrainable()
    {
        foreach (var layerCase in LayerCase.All)
        {
            using var model = layerCase.Create();
            Assert.All(model.Layer.parameters(), p => Assert.False(p.requires_grad));
            Assert.All(model.Adapter.ParameterNames, p => Assert.True(p.Parameter.requires_grad, p.Name));
        }
    }
}
