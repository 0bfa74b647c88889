namespace LoraSdk.Models.Tests.Generation;

public sealed class StreamingTests
{
    private const int V = ByteTokenizer.Vocab;
    private static readonly ByteTokenizer Tokenizer = new();

    private static int[] Script(string text) => [.. ByteTokenizer.Bytes(text), ByteTokenizer.Eos];

    private static async Task<List<string>> Collect(IAsyncEnumerable<string> pieces)
    {
        var list = new List<string>();
        await foreach (var piece in pieces) list.Add(piece);
        return list;
    }

    [Fact]
    public async Task Pieces_concatenate_to_the_generated_text_and_never_split_a_character()
    {
        const string text = "héllo €uro 😀 ok";  // 2-, 3- and 4-byte characters, each over several byte tokens
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]> { ["p"] = Script(text) }));
        var pieces = await Collect(TextGeneration.Stream(factory.Start, Tokenizer, "p"));
        Assert.Equal(text, string.Concat(pieces));
        Assert.Equal(TextGeneration.Generate(factory.Start, Tokenizer, ["p"])[0].Text, string.Concat(pieces));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD') || char.IsHighSurrogate(p[^1]));
        Assert.Equal(0, factory.Made[0].GradEnabledSteps); // no_grad holds on the worker thread too
        Assert.Contains("€", pieces);  // emitted whole, once its third byte arrived
        Assert.True(pieces.Count > 10);
    }

    [Fact]
    public async Task The_start_of_a_stop_string_is_held_back_until_it_is_known_not_to_be_one()
    {
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]> { ["p"] = Script("a#b##c###d") }));
        var options = new GenerationOptions { StopStrings = ["###"] };
        var pieces = await Collect(TextGeneration.Stream(factory.Start, Tokenizer, "p", options));
        Assert.Equal("a#b##c", string.Concat(pieces));
        Assert.Equal("a#b##c", TextGeneration.Generate(factory.Start, Tokenizer, ["p"], options)[0].Text);
    }

    [Fact]
    public async Task A_batch_streams_each_rows_text_tagged_with_its_row()
    {
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]>
        {
            ["p"] = Script("ünïcode"), ["qq"] = Script("short"), ["rrr"] = Script("a longer one €€"),
        }));
        string[] prompts = ["p", "qq", "rrr"];
        var byRow = new string[3];
        Array.Fill(byRow, "");
        await foreach (var piece in TextGeneration.StreamBatch(factory.Start, Tokenizer, prompts))
            byRow[piece.Row] += piece.Text;
        Assert.Equal(TextGeneration.Generate(factory.Start, Tokenizer, prompts).Select(r => r.Text), byRow);
        Assert.Equal(["ünïcode", "short", "a longer one €€"], byRow);
    }

    [Fact]
    public async Task Each_rows_last_piece_carries_its_result_even_when_it_adds_no_text()
    {
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]>
        {
            ["p"] = Script("abc"), ["qq"] = [ByteTokenizer.Eos], ["rrr"] = Script("x#y##"),
        }));
        string[] prompts = ["p", "qq", "rrr"];
        var options = new GenerationOptions { StopStrings = ["##"] };
        var pieces = new List<GeneratedPiece>();
        await foreach (var piece in TextGeneration.StreamBatch(factory.Start, Tokenizer, prompts, options)) pieces.Add(piece);
        var expected = TextGeneration.Generate(factory.Start, Tokenizer, prompts, options);
        for (int row = 0; row < prompts.Length; row++)
        {
            var own = pieces.Where(p => p.Row == row).ToList();
            Assert.Single(own, p => p.Result is not null);
            var result = own[^1].Result!; // the last one
            Assert.Equal(expected[row].TokenIds, result.TokenIds);
            Assert.Equal(expected[row].StopReason, result.StopReason);
            Assert.Equal(expected[row].Text, result.Text);
            Assert.Equal(expected[row].Text, string.Concat(own.Select(p => p.Text)));
        }
        Assert.Equal("", pieces.Single(p => p.Row == 1).Text); // EOS at once: no text, but the result still comes
        Assert.Equal(StopReason.StopString, pieces.Single(p => p.Row == 2 && p.Result is not null).Result!.StopReason);
    }

    [Fact]
    public async Task Cancellation_stops_the_loop_and_releases_the_session()
    {
        using var cancel = new CancellationTokenSource();
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]> { ["p"] = [] }));
        int received = 0, atCancel = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in TextGeneration.Stream(factory.Start, Tokenizer, "p", new() { MaxNewTokens = 100_000 }, cancel.Token))
                if (++received == 3)
                {
                    // The loop runs ahead of a slow reader (under load, by hundreds of steps): what must be bounded is
                    // the work after the cancellation.
                    atCancel = factory.Made.Single().Steps;
                    cancel.Cancel();
                }
        });
        var session = factory.Made.Single();
        Assert.True(session.Disposed);
        Assert.True(session.Steps - atCancel < 100, $"the loop ran {session.Steps - atCancel} steps after cancellation");
    }

    [Fact]
    public async Task Leaving_the_enumeration_early_stops_the_loop_and_releases_the_session()
    {
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]> { ["p"] = [] }));
        int atLeave = 0;
        await foreach (var _ in TextGeneration.Stream(factory.Start, Tokenizer, "p", new() { MaxNewTokens = 100_000 }))
        {
            atLeave = factory.Made.Single().Steps;
            break;
        }
        var session = factory.Made.Single();
        Assert.True(session.Disposed);
        Assert.True(session.Steps - atLeave < 100, $"the loop ran {session.Steps - atLeave} steps after the consumer left");
    }

    [Fact]
    public async Task The_torch_work_runs_off_the_callers_thread()
    {
        using var release = new ManualResetEventSlim();
        var factory = new RuleSession.Factory(V, RuleSession.Scripted(new Dictionary<string, int[]> { ["p"] = Script("ok") }),
            onStep: _ => Assert.True(release.Wait(TimeSpan.FromSeconds(30))));
        await using var pieces = TextGeneration.Stream(factory.Start, Tokenizer, "p").GetAsyncEnumerator();
        var first = pieces.MoveNextAsync();
        Assert.False(first.IsCompleted); // the prefill is blocked in Step, yet the caller got control back
        release.Set();
        Assert.True(await first);
        Assert.Equal("o", pieces.Current);
    }

    [Fact]
    public async Task The_loops_errors_reach_the_consumer()
    {
        var factory = new RuleSession.Factory(V, _ => [.. Enumerable.Repeat(float.NaN, V)]);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Collect(TextGeneration.Stream(factory.Start, Tokenizer, "p")));
        Assert.Contains("NaN", error.Message);
        Assert.True(factory.Made.Single().Disposed);
    }
}
