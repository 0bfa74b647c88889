namespace LoraSdk.Models.Tests.Generation;

public sealed class LogitsProcessingTests
{
    private const float Off = float.NegativeInfinity;

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_once_per_distinct_token()
    {
        float[] logits = [2f, -1f, 0.5f, -3f, 0f];
        LogitsProcessing.ApplyRepetitionPenalty(logits, new HashSet<int> { 0, 1, 4 }, 2.0);
        Assert.Equal([1f, -2f, 0.5f, -3f, 0f], logits);
        float[] third = [3f];
        LogitsProcessing.ApplyRepetitionPenalty(third, [0], 1.3);
        Assert.Equal(3f / 1.3f, third[0]); // float32 arithmetic, as PyTorch's tensor / scalar
    }

    [Fact]
    public void Temperature_divides_every_logit()
    {
        float[] logits = [2f, -1f, 0f];
        LogitsProcessing.ApplyTemperature(logits, 0.5);
        Assert.Equal([4f, -2f, 0f], logits);
    }

    [Fact]
    public void Top_k_keeps_the_k_largest_and_every_tie_with_the_kth()
    {
        float[] logits = [1f, 3f, 3f, 2f, 0f];
        LogitsProcessing.ApplyTopK(logits, 2);
        Assert.Equal([Off, 3f, 3f, Off, Off], logits);
        float[] three = [1f, 3f, 3f, 2f, 0f];
        LogitsProcessing.ApplyTopK(three, 3);
        Assert.Equal([Off, 3f, 3f, 2f, Off], three);
        float[] off = [1f, 2f];
        LogitsProcessing.ApplyTopK(off, 0);
        Assert.Equal([1f, 2f], off);
    }

    [Theory]
    [InlineData(0.75, new[] { true, true, false, false })]  // 0.5 + 0.3 = 0.8 >= 0.75
    [InlineData(0.85, new[] { true, true, true, false })]   // needs 0.15 more
    [InlineData(0.99, new[] { true, true, true, true })]
    [InlineData(0.1, new[] { true, false, false, false })]  // the most probable is always kept
    public void Top_p_keeps_the_smallest_most_probable_set_reaching_p(double topP, bool[] kept)
    {
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];
        LogitsProcessing.ApplyTopP(logits, topP);
        Assert.Equal(kept, logits.Select(l => !float.IsNegativeInfinity(l)).ToArray());
    }

    [Fact]
    public void Greedy_picks_the_first_largest_logit_and_refuses_nan()
    {
        Assert.Equal(1, TokenPicker.ArgMax([0f, 5f, 5f, -1f], row: 0));
        var greedy = new GenerationOptions();
        var error = Assert.Throws<InvalidOperationException>(() =>
            TokenPicker.Pick(new float[] { 0f, float.NaN }, greedy, [], 0, [], null, row: 3));
        Assert.Contains("row 3", error.Message);
        Assert.Contains("NaN", error.Message);
    }
}
