namespace LoraSdk.Tests.Layers;

/// <summary>
/// The attribute, <see cref="LoraOptions"/> and <see cref="LoraOptionsOverride"/> take their defaults and rules from
/// one place (src/Shared/LoraOptionRules.cs, also compiled into the generator): they agree on every value.
/// </summary>
public class OptionRulesTests
{
    [Fact]
    public void TheAttributesDefaultsAreTheOptionsDefaults()
    {
        Assert.Equal(new LoraOptions(rank: 6, alpha: 6), LoraOptions.From(new LoRAAttribute(6)));
        Assert.Equal(LoraInit.Kaiming, LoraOptions.DefaultInit);
        Assert.Equal((0.0, false, LoraInit.Kaiming), (new LoraOptions(2, 2).Dropout, new LoraOptions(2, 2).UseRsLoRA, new LoraOptions(2, 2).Init));
    }

    [Theory]
    [InlineData(0, 1.0, 0.0, "rank", "LoRA rank must be greater than 0.")]
    [InlineData(-3, 1.0, 0.0, "rank", "LoRA rank must be greater than 0.")]
    [InlineData(4, 0.0, 0.0, "alpha", "LoRA alpha must be a finite number greater than 0.")]
    [InlineData(4, double.NaN, 0.0, "alpha", "LoRA alpha must be a finite number greater than 0.")]
    [InlineData(4, double.PositiveInfinity, 0.0, "alpha", "LoRA alpha must be a finite number greater than 0.")]
    [InlineData(4, 8.0, 1.0, "dropout", "LoRA dropout must be in [0, 1).")]
    [InlineData(4, 8.0, -0.1, "dropout", "LoRA dropout must be in [0, 1).")]
    public void OptionsAndOverridesRejectTheSameValues(int rank, double alpha, double dropout, string parameter, string message)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new LoraOptions(rank, alpha, dropout));
        Assert.Equal(parameter, error.ParamName);
        Assert.StartsWith(message, error.Message);

        var overrides = new LoraOptionsOverride { Rank = rank, Alpha = alpha, Dropout = dropout };
        var (name, _, rule) = Assert.Single(overrides.Problems());
        Assert.Equal(parameter, name.ToLowerInvariant());
        Assert.Equal(message, $"LoRA {parameter} {rule}.");
        Assert.Throws<ArgumentOutOfRangeException>(() => LoraOptionsOverride.Apply(overrides));
    }

    [Fact]
    public void TheEdgesOfEachRangeAreAccepted()
    {
        _ = new LoraOptions(rank: 1, alpha: double.Epsilon, dropout: 0);
        _ = new LoraOptions(rank: 1, alpha: double.MaxValue, dropout: 0.999);
        Assert.Empty(new LoraOptionsOverride { Rank = 1, Alpha = double.Epsilon, Dropout = 0.999 }.Problems());
    }
}
