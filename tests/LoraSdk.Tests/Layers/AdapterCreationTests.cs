using LoraSdk.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>Options and targets the adapters refuse, each with a message that says what is wrong.</summary>
[Collection(SeededTorch.Name)]
public class AdapterCreationTests
{
    [Theory]
    [InlineData(0, 1.0, 0.0, "rank")]
    [InlineData(-2, 1.0, 0.0, "rank")]
    [InlineData(4, 0.0, 0.0, "alpha")]
    [InlineData(4, double.NaN, 0.0, "alpha")]
    [InlineData(4, double.PositiveInfinity, 0.0, "alpha")]
    [InlineData(4, 8.0, 1.0, "dropout")]
    [InlineData(4, 8.0, -0.1, "dropout")]
    [InlineData(4, 8.0, double.NaN, "dropout")]
    public void InvalidOptionsAreRejected(int rank, double alpha, double dropout, string parameter)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new LoraOptions(rank, alpha, dropout));
        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void OptionsFromTheAttributeDefaultAlphaToTheRank()
    {
        var defaults = LoraOptions.From(new LoRAAttribute(8));
        Assert.Equal((8, 8.0, 0.0, false, LoraInit.Kaiming), (defaults.Rank, defaults.Alpha, defaults.Dropout, defaults.UseRsLoRA, defaults.Init));
        Assert.Equal(1.0, defaults.Scaling);

        var custom = LoraOptions.From(new LoRAAttribute(4) { Alpha = 16, Dropout = 0.1, UseRsLoRA = true, Init = LoraInit.PiSSA });
        Assert.Equal((4, 16.0, 0.1, true, LoraInit.PiSSA), (custom.Rank, custom.Alpha, custom.Dropout, custom.UseRsLoRA, custom.Init));
        Assert.Equal(8.0, custom.Scaling);
    }

    [Fact]
    public void UnsupportedLayersAreRejectedByName()
    {
        using var norm = nn.LayerNorm(4);
        var error = Assert.Throws<NotSupportedException>(() => LoraAdapter.Create("norm", norm, new LoraOptions(2, 2)));
        Assert.Contains("'norm'", error.Message);
        Assert.Contains("Linear, Conv1d, Conv2d and Embedding", error.Message);
    }

    [Fact]
    public void GroupedConvolutionsAreRejected()
    {
        using var grouped = nn.Conv2d(4, 4, 3, groups: 2);
        var error = Assert.Throws<NotSupportedException>(() => LoraAdapter.Create("conv", grouped, new LoraOptions(2, 2)));
        Assert.Contains("groups = 2", error.Message);
    }

    [Fact]
    public void ALayerIsAdaptedOnlyOnce()
    {
        torch.manual_seed(8);
        using var model = new AdaptedLayer(nn.Linear(4, 4), new LoraOptions(2, 2));
        using var other = nn.Linear(1, 1);

        var error = Assert.Throws<InvalidOperationException>(() => LoraAdapter.Attach(other, "again", model.Layer, new LoraOptions(2, 2)));
        Assert.Contains("already has a LoRA adapter", error.Message);
    }

    [Theory]
    [MemberData(nameof(LayerCase.Names), MemberType = typeof(LayerCase))]
    public void TheStateDictHoldsTheBaseOnceAndTheFactorsUnderTheAdapter(string name)
    {
        using var model = LayerCase.Named(name).Create();

        var expected = model.Layer.state_dict().Keys.Select(k => "layer." + k)
            .Concat(model.Adapter.ParameterNames.Select(p => "layer_lora." + p.Name));

        Assert.Equal(["layer", "layer_lora"], model.named_children().Select(c => c.name));
        Assert.Equal(expected, model.state_dict().Keys);
    }
}
