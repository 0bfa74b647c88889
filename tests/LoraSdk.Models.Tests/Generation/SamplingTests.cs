namespace LoraSdk.Models.Tests.Generation;

public sealed class SamplingTests
{
    private static readonly float[] Logits = [2.0f, 1.5f, 1.2f, 0.8f, 0.3f, -0.5f, -1.0f, 0.0f];
    private static readonly ByteTokenizer Tokenizer = new();

    private static int[][] Draw(GenerationOptions options, int rows)
    {
        var factory = new RuleSession.Factory(Logits.Length, _ => (float[])Logits.Clone());
        var prompts = Enumerable.Range(0, rows).Select(_ => (IReadOnlyList<int>)[0]).ToArray();
        return TextGeneration.GenerateFromIds(factory.Start, Tokenizer, prompts, options with { EosTokenIds = [] })
            .Select(r => r.TokenIds.ToArray()).ToArray();
    }

    /// <summary>
    /// The exact distribution, worked out independently of the code's formulation: softmax(logits / T), keep the k most
    /// probable, then the smallest most-probable prefix whose mass reaches p, renormalised.
    /// </summary>
    private static double[] Expected(double temperature, int topK, double topP)
    {
        var p = Logits.Select(l => Math.Exp(l / temperature)).ToArray();
        var order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ToArray();
        var kept = order.Take(topK).ToList();
        double mass = kept.Sum(i => p[i]), cumulative = 0;
        int n = 0;
        while (cumulative < topP * mass) cumulative += p[kept[n++]];
        var support = kept.Take(n).ToHashSet();
        double total = support.Sum(i => p[i]);
        return Enumerable.Range(0, p.Length).Select(i => support.Contains(i) ? p[i] / total : 0).ToArray();
    }

    [Fact]
    public void Temperature_top_k_top_p_give_the_exact_filtered_distribution()
    {
        const int rows = 40, perRow = 500;
        var options = new GenerationOptions { DoSample = true, Temperature = 0.7, TopK = 5, TopP = 0.9, Seed = 1234, MaxNewTokens = perRow };
        var expected = Expected(0.7, 5, 0.9);
        Assert.Equal(4, expected.Count(q => q > 0)); // top-k leaves 5, top-p then drops the fifth (cumulative 0.957 ≥ 0.9 at four)
        var draws = Draw(options, rows).SelectMany(r => r).ToArray();
        Assert.Equal(rows * perRow, draws.Length);
        for (int id = 0; id < Logits.Length; id++)
        {
            double frequency = draws.Count(d => d == id) / (double)draws.Length, q = expected[id];
            if (q == 0) Assert.Equal(0, frequency);
            else Assert.InRange(frequency, q - 5 * Math.Sqrt(q * (1 - q) / draws.Length), q + 5 * Math.Sqrt(q * (1 - q) / draws.Length));
        }
    }

    [Fact]
    public void Plain_sampling_without_filters_follows_the_softmax()
    {
        var options = new GenerationOptions { DoSample = true, TopK = 0, Seed = 99, MaxNewTokens = 500 };
        var expected = Expected(1.0, Logits.Length, 1.0);
        var draws = Draw(options, 40).SelectMany(r => r).ToArray();
        for (int id = 0; id < Logits.Length; id++)
        {
            double frequency = draws.Count(d => d == id) / (double)draws.Length, q = expected[id];
            Assert.InRange(frequency, q - 5 * Math.Sqrt(q * (1 - q) / draws.Length), q + 5 * Math.Sqrt(q * (1 - q) / draws.Length));
        }
    }

    [Fact]
    public void A_seed_reproduces_the_draws_and_each_row_has_its_own_stream()
    {
        var options = new GenerationOptions { DoSample = true, TopK = 0, Seed = 5, MaxNewTokens = 64 };
        var first = Draw(options, 3);
        var again = Draw(options, 3);
        Assert.Equal(first, again);
        Assert.NotEqual(first[0], first[1]); // same logits, different rows: independent streams
        Assert.Equal(first[0], Draw(options, 1)[0]); // row 0 does not depend on how many rows are beside it
        Assert.NotEqual(first, Draw(options with { Seed = 6 }, 3));
    }

    [Fact]
    public void Greedy_ignores_the_sampling_warpers()
    {
        var draws = Draw(new GenerationOptions { Temperature = 5, TopK = 1, TopP = 0.01, MaxNewTokens = 3 }, 1);
        Assert.Equal([0, 0, 0], draws[0]);
    }
}
