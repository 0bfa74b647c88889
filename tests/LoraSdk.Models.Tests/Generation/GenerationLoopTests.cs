namespace LoraSdk.Models.Tests.Generation;

public sealed class GenerationLoopTests
{
    private const int Eos = ByteTokenizer.Eos, Pad = ByteTokenizer.Pad, V = ByteTokenizer.Vocab;
    private static readonly ByteTokenizer Tokenizer = new();

    private static int[] Script(string text, bool eos = true) => [.. ByteTokenizer.Bytes(text), .. eos ? new[] { Eos } : []];

    [Fact]
    public void Greedy_follows_the_argmax_and_stops_at_eos_with_the_eos_id_last()
    {
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]> { ["ab"] = Script("hi") }));
        var result = Assert.Single(TextGeneration.Generate(factory.Start, Tokenizer, ["ab"]));
        Assert.Equal([(int)'h', 'i', Eos], result.TokenIds);
        Assert.Equal("hi", result.Text);
        Assert.Equal(StopReason.EndOfSequence, result.StopReason);
        Assert.Null(result.StopString);
        Assert.Equal(3, result.PromptTokenCount);
        Assert.True(factory.Made.Single().Disposed);
        Assert.Equal(0, factory.Made.Single().GradEnabledSteps);
    }

    [Fact]
    public void Eos_stops_exactly_its_own_row_and_a_stopped_row_is_fed_pad_unmasked()
    {
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]>
        {
            ["a"] = Script("xy"), ["bcd"] = Script("uvwxyz"),
        }));
        var results = TextGeneration.Generate(factory.Start, Tokenizer, ["a", "bcd"], new() { MaxNewTokens = 50 });
        Assert.Equal(["xy", "uvwxyz"], results.Select(r => r.Text));
        Assert.Equal(Script("xy"), results[0].TokenIds);
        Assert.Equal(Script("uvwxyz"), results[1].TokenIds);
        var session = factory.Made.Single();
        Assert.Equal(1 + 6, session.Steps); // the prefill, then one step per token but the last
        // Row 0: BOS "a" left-padded by two, then x, y, EOS, then pad with mask 1.
        Assert.Equal([(Pad, 0), (Pad, 0), (ByteTokenizer.Bos, 1), ('a', 1), ('x', 1), ('y', 1), (Eos, 1), (Pad, 1), (Pad, 1), (Pad, 1)],
            session.Fed[0].Select(f => ((int)f.Id, (int)f.Mask)));
    }

    [Fact]
    public void A_stop_string_stops_its_row_at_the_token_completing_it_and_is_cut_from_the_text()
    {
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]>
        {
            ["p"] = Script("hello### world"), ["q"] = Script("ab###cdef"),
        }));
        var results = TextGeneration.Generate(factory.Start, Tokenizer, ["p", "q"], new() { StopStrings = ["###", "lo"] });
        Assert.Equal("hel", results[0].Text); // "lo" occurs before "###": the earliest occurrence wins
        Assert.Equal(ByteTokenizer.Bytes("hello"), results[0].TokenIds);
        Assert.Equal(StopReason.StopString, results[0].StopReason);
        Assert.Equal("lo", results[0].StopString);
        Assert.Equal("ab", results[1].Text);
        Assert.Equal(ByteTokenizer.Bytes("ab###"), results[1].TokenIds);
        Assert.Equal("###", results[1].StopString);
    }

    [Fact]
    public void Max_new_tokens_ends_a_row_that_never_stops()
    {
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]> { ["p"] = [] }));
        var result = Assert.Single(TextGeneration.Generate(factory.Start, Tokenizer, ["p"], new() { MaxNewTokens = 4 }));
        Assert.Equal("zzzz", result.Text);
        Assert.Equal(StopReason.MaxNewTokens, result.StopReason);
        Assert.Equal(4, factory.Made.Single().Steps); // no forward after the last token
    }

    [Fact]
    public void Eos_override_replaces_the_tokenizer_ids_and_empty_turns_eos_off()
    {
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]> { ["p"] = Script("abc") }));
        var byC = TextGeneration.Generate(factory.Start, Tokenizer, ["p"], new() { EosTokenIds = ['c'] })[0];
        // An ordinary token as EOS keeps its text (only special tokens are skipped), as transformers' decode does.
        Assert.Equal(("abc", StopReason.EndOfSequence), (byC.Text, byC.StopReason));
        Assert.Equal(ByteTokenizer.Bytes("abc"), byC.TokenIds);
        var none = TextGeneration.Generate(factory.Start, Tokenizer, ["p"], new() { EosTokenIds = [], MaxNewTokens = 5 })[0];
        Assert.Equal([(int)'a', 'b', 'c', Eos, 'z'], none.TokenIds);
        Assert.Equal(StopReason.MaxNewTokens, none.StopReason);
    }

    [Fact]
    public void Min_new_tokens_suppresses_eos_until_reached()
    {
        var rule = RuleSession.Following(V, _ => Eos);
        var runnerUp = Enumerable.Range(0, V).Where(i => i != Eos).MaxBy(i => rule([0])[i]);
        var factory = new RuleSession.Factory(V, rule);
        var result = TextGeneration.Generate(factory.Start, Tokenizer, ["p"], new() { MinNewTokens = 3 })[0];
        Assert.Equal([runnerUp, runnerUp, runnerUp, Eos], result.TokenIds);
    }

    [Fact]
    public void Repetition_penalty_in_the_loop_covers_prompt_and_generated_tokens()
    {
        // Constant logits: 'a' 2.0, 'b' 1.9, the rest ≤ 1. 'a' is in the prompt: 2.0/1.2 = 1.667 < 1.9 picks 'b'; then
        // 'b' is penalized too (1.583) and 'a' wins, once per distinct token, never compounding.
        var logits = new float[V];
        for (int i = 0; i < V; i++) logits[i] = i % 7 / 7f;
        logits['a'] = 2.0f; logits['b'] = 1.9f;
        var factory = new RuleSession.Factory(V, _ => (float[])logits.Clone());
        var penalized = TextGeneration.Generate(factory.Start, Tokenizer, ["a"], new() { RepetitionPenalty = 1.2, MaxNewTokens = 4 })[0];
        Assert.Equal("baaa", penalized.Text);
        var plain = TextGeneration.Generate(factory.Start, Tokenizer, ["a"], new() { MaxNewTokens = 4 })[0];
        Assert.Equal("aaaa", plain.Text);
    }

    [Fact]
    public void Prompts_given_as_ids_and_bad_prompts()
    {
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]> { ["p"] = Script("ok") }));
        var fromIds = TextGeneration.GenerateFromIds(factory.Start, Tokenizer, [Tokenizer.Encode("p", true)])[0];
        Assert.Equal("ok", fromIds.Text);
        Assert.Contains("Prompt 1 has no tokens", Assert.Throws<ArgumentException>(() =>
            TextGeneration.Generate(factory.Start, Tokenizer, ["p", ""], new() { AddSpecialTokens = false })).Message);
        Assert.Contains("outside the model's vocabulary (259", Assert.Throws<ArgumentException>(() =>
            TextGeneration.GenerateFromIds(factory.Start, Tokenizer, [[1, 300]])).Message);
        Assert.Empty(TextGeneration.Generate(factory.Start, Tokenizer, []));
    }

    [Fact]
    public void Special_tokens_appear_in_the_text_only_when_asked()
    {
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]> { ["p"] = Script("ok") }));
        Assert.Equal("ok</s>", TextGeneration.Generate(factory.Start, Tokenizer, ["p"], new() { SkipSpecialTokens = false })[0].Text);
        // The EOS token's own text is not searched for stop strings: EOS stops the row, its text stays whole.
        var eos = TextGeneration.Generate(factory.Start, Tokenizer, ["p"], new() { SkipSpecialTokens = false, StopStrings = ["/s"] })[0];
        Assert.Equal(("ok</s>", StopReason.EndOfSequence, null), (eos.Text, eos.StopReason, eos.StopString));
    }
}
