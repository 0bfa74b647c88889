namespace LoraSdk.Models.Tests.Generation;

/// <summary>
/// Left padding and the mask, checked on a real (tiny) attention model: every row of a batch of prompts of different
/// lengths generates exactly what its prompt generates alone.
/// </summary>
public sealed class BatchEquivalenceTests
{
    private static readonly ByteTokenizer Tokenizer = new();
    private static readonly TinyAttentionSession.TinyAttentionWeights Model = new(seed: 11, ByteTokenizer.Vocab);
    private static readonly string[] Prompts = ["a", "hello there", "tiny €", "generation with a cache"];

    private static GenerationResult Alone(string prompt, GenerationOptions options) =>
        TextGeneration.Generate(Model.Start, Tokenizer, [prompt], options)[0];

    [Fact]
    public void Greedy_rows_equal_their_prompts_alone()
    {
        var options = new GenerationOptions { MaxNewTokens = 12, EosTokenIds = [] };
        var batched = TextGeneration.Generate(Model.Start, Tokenizer, Prompts, options);
        for (int r = 0; r < Prompts.Length; r++)
            Assert.Equal(Alone(Prompts[r], options).TokenIds, batched[r].TokenIds);
        Assert.NotEqual(batched[0].TokenIds, batched[1].TokenIds); // the prompts matter: the model is not constant
    }

    [Fact]
    public void Rows_stopping_at_different_steps_leave_the_others_unchanged()
    {
        // An EOS id taken from one row's own continuation, so that row stops early while the others run on.
        var free = Alone(Prompts[1], new() { MaxNewTokens = 12, EosTokenIds = [] }).TokenIds;
        int stopAt = Enumerable.Range(1, free.Count - 1).First(k => !free.Take(k).Contains(free[k]));
        var options = new GenerationOptions { MaxNewTokens = 12, EosTokenIds = [free[stopAt]] };
        var batched = TextGeneration.Generate(Model.Start, Tokenizer, Prompts, options);
        Assert.Equal(StopReason.EndOfSequence, batched[1].StopReason);
        Assert.Equal(stopAt + 1, batched[1].TokenIds.Count);
        Assert.Contains(batched, r => r.StopReason == StopReason.MaxNewTokens);
        for (int r = 0; r < Prompts.Length; r++)
        {
            var alone = Alone(Prompts[r], options);
            Assert.Equal(alone.TokenIds, batched[r].TokenIds);
            Assert.Equal(alone.StopReason, batched[r].StopReason);
        }
    }

    [Fact]
    public void Sampled_rows_depend_only_on_their_prompt_seed_and_row()
    {
        var options = new GenerationOptions { DoSample = true, TopK = 0, Seed = 7, MaxNewTokens = 10, EosTokenIds = [] };
        var batched = TextGeneration.Generate(Model.Start, Tokenizer, Prompts, options);
        Assert.Equal(Alone(Prompts[0], options).TokenIds, batched[0].TokenIds);
        var otherNeighbour = TextGeneration.Generate(Model.Start, Tokenizer, [Prompts[3], Prompts[1]], options);
        Assert.Equal(batched[1].TokenIds, otherNeighbour[1].TokenIds);
    }
}
