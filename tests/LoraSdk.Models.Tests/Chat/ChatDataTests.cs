using LoraSdk.Data;
using LoraSdk.Training;
using Xunit;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Chat;

/// <summary>Instruction data: both JSONL formats, assistant-only labels, truncation / refusal and the errors for bad records.</summary>
public sealed class ChatDataTests
{
    private const string TwoTurns =
        """{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello"}, {"role": "assistant", "content": "hello world"}, {"role": "user", "content": "caf"}, {"role": "assistant", "content": "123"}]}""";

    private static readonly HuggingFaceTokenizer Tokenizer = ChatFixtures.Llama3Tokenizer();

    /// <summary>The scored tokens, as text, one string per contiguous run.</summary>
    private static List<string> ScoredRuns(EncodedExample example)
    {
        var runs = new List<string>();
        var run = new List<int>();
        for (int i = 0; i <= example.TokenIds.Length; i++)
        {
            bool scored = i < example.TokenIds.Length && example.TokenLabels![i] != EncodedExample.IgnoredTokenLabel;
            if (scored) run.Add(example.TokenLabels![i]);
            else if (run.Count > 0)
            {
                runs.Add(Tokenizer.Decode(run, skipSpecialTokens: false));
                run.Clear();
            }
        }
        return runs;
    }

    [Fact]
    public void Only_the_assistant_turns_and_their_end_of_turn_tokens_are_scored()
    {
        using var dir = new TempDirectory();
        var data = ChatDataset.Load(ChatFixtures.Jsonl(dir, TwoTurns), Tokenizer, ChatFixtures.Options());
        var example = Assert.Single(data.Examples);
        Assert.Equal(["hello world<|eot_id|>", "123<|eot_id|>"], ScoredRuns(example));
        // The pieces put together are the whole rendered conversation.
        var rendered = Tokenizer.ApplyChatTemplate(data.Records[0].Messages, addGenerationPrompt: false, ChatTemplate.Llama3);
        Assert.Equal(rendered, Tokenizer.Decode(example.TokenIds, skipSpecialTokens: false));
        Assert.Equal(example.TokenIds.Where((_, i) => example.TokenLabels![i] >= 0), example.TokenLabels!.Where(l => l >= 0));
    }

    [Fact]
    public void A_prompt_and_completion_record_is_a_user_turn_and_the_answer()
    {
        using var dir = new TempDirectory();
        var data = ChatDataset.Load(ChatFixtures.Jsonl(dir, """{"prompt": "hello", "completion": "world"}""", "", TwoTurns), Tokenizer, ChatFixtures.Options());
        Assert.Equal(2, data.Examples.Count);
        Assert.Equal([ChatMessage.User("hello"), ChatMessage.Assistant("world")], data.Records[0].Messages);
        Assert.Equal(3, data.Records[1].Line);
        Assert.Equal(["world<|eot_id|>"], ScoredRuns(data.Examples[0]));
    }

    [Theory]
    [InlineData("""{"messages": [{"role": "bot", "content": "hi"}]}""", "LORA201", "messages[0].role is \"bot\"")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "  "}]}""", "LORA201", "messages[1].content is empty")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}]}""", "LORA202", "no assistant turn")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}""", "LORA201", "invalid JSON")]
    [InlineData("""{"prompt": "hi"}""", "LORA202", "has no \"completion\"")]
    [InlineData("""{"text": "hi"}""", "LORA202", "neither \"messages\" nor")]
    [InlineData("""{"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "x"}]}""", "LORA201", "content must be a string")]
    public void A_bad_record_is_an_error_naming_its_file_and_line(string badLine, string code, string problem)
    {
        using var dir = new TempDirectory();
        string path = ChatFixtures.Jsonl(dir, TwoTurns, badLine);
        var error = Assert.Throws<LoraInputException>(() => ChatDataset.Load(path, Tokenizer, ChatFixtures.Options()));
        Assert.Equal(code, error.Code);
        Assert.Equal(2, error.Line);
        Assert.StartsWith($"{path}(2,", error.Message);
        Assert.Contains(problem, error.Problem);
    }

    [Fact]
    public void An_empty_file_is_LORA204()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<LoraInputException>(() => ChatDataset.Load(ChatFixtures.Jsonl(dir, "", "  "), Tokenizer, ChatFixtures.Options()));
        Assert.Equal(LoraErrorCodes.EmptyFile, error.Code);
    }

    [Fact]
    public void A_conversation_over_the_limit_is_refused_when_the_options_say_so()
    {
        using var dir = new TempDirectory();
        string path = ChatFixtures.Jsonl(dir, """{"prompt": "hi", "completion": "ok"}""", TwoTurns);
        int firstLength = ChatDataset.Load(path, Tokenizer, ChatFixtures.Options()).Examples[0].TokenIds.Length;
        var error = Assert.Throws<LoraInputException>(() => ChatDataset.Load(path, Tokenizer, ChatFixtures.Options(maxLength: firstLength, overflow: ChatOverflow.Refuse)));
        Assert.Equal(LoraErrorCodes.SequenceTooLong, error.Code);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void Left_truncation_keeps_the_end_and_warns_only_when_it_cuts_inside_an_answer()
    {
        using var dir = new TempDirectory();
        string path = ChatFixtures.Jsonl(dir, TwoTurns);
        var whole = ChatDataset.Load(path, Tokenizer, ChatFixtures.Options()).Examples[0];
        int firstAnswerStart = Array.FindIndex(whole.TokenLabels!, l => l >= 0);

        // Cut between the first answer's end and the last answer: no warning, the end kept exactly.
        int keep = whole.TokenIds.Length - (Array.FindIndex(whole.TokenLabels!, firstAnswerStart, l => l < 0) + 1);
        var clean = ChatDataset.Load(path, Tokenizer, ChatFixtures.Options(maxLength: keep));
        Assert.Empty(clean.Warnings);
        Assert.Equal(whole.TokenIds[^keep..], clean.Examples[0].TokenIds);
        Assert.Equal(whole.TokenLabels![^keep..], clean.Examples[0].TokenLabels);

        // Cut one token into the first answer: kept, with a LORA207 warning naming the line.
        int inside = whole.TokenIds.Length - (firstAnswerStart + 1);
        var cut = ChatDataset.Load(path, Tokenizer, ChatFixtures.Options(maxLength: inside));
        Assert.Equal(inside, cut.Examples[0].TokenIds.Length);
        Assert.StartsWith($"{path}(1,1): warning LORA207:", Assert.Single(cut.Warnings));
    }

    [Fact]
    public void Masked_targets_get_no_gradient()
    {
        using var dir = new TempDirectory();
        var example = ChatDataset.Load(ChatFixtures.Jsonl(dir, TwoTurns), Tokenizer, ChatFixtures.Options()).Examples[0];
        using var batch = Batch.Collate([example, example with { TokenIds = example.TokenIds[..^3], TokenLabels = example.TokenLabels![..^3] }], paddingId: 0);
        long length = batch.InputIds.shape[1];
        var logits = randn([2, length, Tokenizer.VocabularySize], ScalarType.Float64).requires_grad_();
        var (loss, count) = TaskLoss.Compute(LoraTask.CausalLanguageModeling, logits, batch);
        loss.backward();
        var perPosition = logits.grad!.abs().sum(-1); // batch × length: position t is scored against token t + 1
        var labels = batch.TokenLabels!.data<long>().ToArray();
        long scored = 0;
        for (int row = 0; row < 2; row++)
            for (int t = 0; t < length; t++)
            {
                bool targetScored = t + 1 < length && labels[row * length + t + 1] != EncodedExample.IgnoredTokenLabel;
                double gradient = perPosition[row, t].item<double>();
                if (targetScored) { Assert.True(gradient > 0, $"row {row} position {t}"); scored++; }
                else Assert.Equal(0.0, gradient);
            }
        Assert.Equal(scored, count);
    }
}
