namespace LoraSdk.Models.Tests.Generation;

/// <summary>How the generated text is decoded: after a little of the prompt (as transformers' pipeline), and refused when a stream cannot be exact.</summary>
public sealed class DecodedTextTests
{
    private const int V = ByteTokenizer.Vocab;

    /// <summary>Decodes as SentencePiece's decoder does: the sequence's leading space is dropped.</summary>
    private sealed class LeadingSpaceTokenizer : IGenerationTokenizer
    {
        private readonly ByteTokenizer bytes = new();
        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens) => bytes.Encode(text, addSpecialTokens);
        public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens) => bytes.Decode(ids, skipSpecialTokens) is [' ', .. var rest] ? rest : bytes.Decode(ids, skipSpecialTokens);
        public int? BosTokenId => ByteTokenizer.Bos;
        public IReadOnlyList<int> EosTokenIds => [ByteTokenizer.Eos];
        public int? PadTokenId => ByteTokenizer.Pad;
    }

    /// <summary>A decode that rewrites earlier text once an 'x' appears: not prefix-stable.</summary>
    private sealed class RewritingTokenizer : IGenerationTokenizer
    {
        private readonly ByteTokenizer bytes = new();
        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens) => bytes.Encode(text, addSpecialTokens);
        public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens) => bytes.Decode(ids, skipSpecialTokens) is var t && t.Contains('x') ? t.ToUpperInvariant() : t;
        public int? BosTokenId => ByteTokenizer.Bos;
        public IReadOnlyList<int> EosTokenIds => [ByteTokenizer.Eos];
        public int? PadTokenId => ByteTokenizer.Pad;
    }

    /// <summary>Decodes with transformers' clean_up_tokenization_spaces (" ." → ".", " n't" → "n't", …), as Llama 3's tokenizer_config asks.</summary>
    private sealed class CleanUpTokenizer : IGenerationTokenizer
    {
        private readonly ByteTokenizer bytes = new();
        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens) => bytes.Encode(text, addSpecialTokens);
        public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens) => bytes.Decode(ids, skipSpecialTokens)
            .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
            .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
        public int? BosTokenId => ByteTokenizer.Bos;
        public IReadOnlyList<int> EosTokenIds => [ByteTokenizer.Eos];
        public int? PadTokenId => ByteTokenizer.Pad;
        public bool CleansUpSpaces => true;
    }

    [Fact]
    public async Task Streaming_under_the_clean_up_of_spaces_holds_a_tail_the_next_token_could_rewrite()
    {
        // Each of " ." " ," " n't" " 's" arrives one byte token at a time: its leading space (and " n", " n'") must wait.
        var factory = Continuing("p", "a . b , do n't it 's ok ?");
        var pieces = new List<string>();
        await foreach (var piece in TextGeneration.Stream(factory.Start, new CleanUpTokenizer(), "p")) pieces.Add(piece);
        var whole = TextGeneration.Generate(factory.Start, new CleanUpTokenizer(), ["p"])[0].Text;
        Assert.Equal("a. b, don't it's ok?", whole);
        Assert.Equal(whole, string.Concat(pieces));
        Assert.True(pieces.Count > 5, $"the text came in {pieces.Count} pieces; it should stream token by token");
    }

    private static RuleSession.Factory Continuing(string prompt, string continuation) =>
        new(V, RuleSession.Scripted(new Dictionary<string, int[]> { [prompt] = [.. ByteTokenizer.Bytes(continuation), ByteTokenizer.Eos] }));

    [Fact]
    public void The_first_generated_word_keeps_its_space_under_a_decoder_that_strips_a_leading_one()
    {
        var result = TextGeneration.Generate(Continuing("Hi", " there").Start, new LeadingSpaceTokenizer(), ["Hi"])[0];
        Assert.Equal(" there", result.Text);
        // Without the prompt's context the decoder alone would give "there".
        Assert.Equal("there", new LeadingSpaceTokenizer().Decode(result.TokenIds, true));
    }

    [Fact]
    public async Task A_decode_that_rewrites_streamed_text_is_refused_not_streamed_wrongly()
    {
        var factory = Continuing("p", "abxd");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in TextGeneration.Stream(factory.Start, new RewritingTokenizer(), "p")) { }
        });
        Assert.Contains("not prefix-stable", error.Message);
        // Without streaming the final decode is simply the result.
        Assert.Equal("ABXD", TextGeneration.Generate(factory.Start, new RewritingTokenizer(), ["p"])[0].Text);
    }
}
