namespace LoraSdk.Models.Tests.Generation;

public sealed class GenerationOptionsTests
{
    public static TheoryData<GenerationOptions, string> BadOptions => new()
    {
        { new() { MaxNewTokens = 0 }, "MaxNewTokens" },
        { new() { MinNewTokens = -1 }, "MinNewTokens" },
        { new() { MaxNewTokens = 4, MinNewTokens = 5 }, "MinNewTokens" },
        { new() { DoSample = true, Temperature = 0 }, "Temperature" },
        { new() { DoSample = true, Temperature = -0.5 }, "Temperature" },
        { new() { Temperature = double.NaN }, "Temperature" },
        { new() { TopK = -1 }, "TopK" },
        { new() { TopP = 0 }, "TopP" },
        { new() { TopP = 1.5 }, "TopP" },
        { new() { TopP = double.NaN }, "TopP" },
        { new() { RepetitionPenalty = 0 }, "RepetitionPenalty" },
        { new() { RepetitionPenalty = double.PositiveInfinity }, "RepetitionPenalty" },
        { new() { StopStrings = ["ok", ""] }, "StopStrings[1]" },
        { new() { EosTokenIds = [2, -3] }, "EosTokenIds[1]" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Out_of_range_values_are_refused_naming_the_option(GenerationOptions options, string option)
    {
        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Contains("GenerationOptions." + option, error.Message);
    }

    [Fact]
    public void Defaults_and_greedy_with_any_temperature_are_valid()
    {
        new GenerationOptions().Validate();
        new GenerationOptions { Temperature = 0 }.Validate(); // ignored without sampling, as transformers does
        new GenerationOptions { DoSample = true, TopP = 1, TopK = 0, Temperature = 0.01 }.Validate();
    }

    [Fact]
    public void Generation_refuses_bad_options_before_starting_a_session()
    {
        var factory = new RuleSession.Factory(ByteTokenizer.Vocab, _ => new float[ByteTokenizer.Vocab]);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            TextGeneration.Generate(factory.Start, new ByteTokenizer(), ["a"], new() { DoSample = true, Temperature = 0 }));
        // The streaming call fails at the call itself, not at the first MoveNextAsync.
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            TextGeneration.StreamBatch(factory.Start, new ByteTokenizer(), ["a"], new() { TopP = 2 }));
        Assert.Empty(factory.Made);
    }
}
