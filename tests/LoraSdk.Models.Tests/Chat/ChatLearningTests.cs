using System.Globalization;
using System.Text.Json.Nodes;
using LoraSdk.Data;
using LoraSdk.Models.Tests.Decoder;
using LoraSdk.Models.Tests.Tokenization;
using LoraSdk.Training;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Chat;

/// <summary>
/// Numbers that show chat fine-tuning learns, on a random tiny decoder (no pretrained LLM is available here): the adapter
/// reproduces a memorisation set's answers that the base does not, and a held-out split of a rule-following task ends
/// with a validation loss below the base's. The sample observer prints validation perplexity and generations.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public sealed class ChatLearningTests(ITestOutputHelper log)
{
    private const int StartHeader = 280, EndHeader = 281;

    /// <summary>The Llama 3 fixture with its header tokens added, so a turn's framing is a handful of tokens.</summary>
    private static HuggingFaceTokenizer Tokenizer()
    {
        var json = TokenizerFolders.Llama3Style();
        var added = (JsonArray)json["added_tokens"]!;
        added.Add(TokenizerFolders.Added(StartHeader, "<|start_header_id|>", special: true));
        added.Add(TokenizerFolders.Added(EndHeader, "<|end_header_id|>", special: true));
        return TokenizerFolders.Load(("tokenizer.json", json),
            ("tokenizer_config.json", new JsonObject { ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|eot_id|>" }));
    }

    private static CausalLM Model(TempDirectory dir, HuggingFaceTokenizer tokenizer)
    {
        // The adapters' initial values come from the global generator: seeded here, so the result does not depend on
        // which tests of the collection ran before (the loader itself draws nothing, DecoderLoadInitTests).
        manual_seed(5);
        var spec = new TinyDecoderSpec { Vocab = 282, Hidden = 64, Intermediate = 128, Layers = 2, Heads = 4, KvHeads = 2 };
        var model = DecoderTestKit.LoadTiny(dir, spec, spec.RandomWeights(seed: 3), new CausalLMLoadOptions
        {
            DType = ScalarType.Float32, Rank = 16, Alpha = 16, TargetModules = CausalLMLoadOptions.AllTargetModules,
        });
        model.Tokenizer = tokenizer;
        return model;
    }

    private static List<ChatRecord> Records(IEnumerable<(string User, string Assistant)> pairs) =>
        pairs.Select((p, i) => new ChatRecord([ChatMessage.User(p.User), ChatMessage.Assistant(p.Assistant)], "synthetic.jsonl", i + 1)).ToList();

    private static double ExactMatch(CausalLM model, HuggingFaceTokenizer tokenizer, IReadOnlyList<ChatRecord> records)
    {
        var prompts = records.Select(r => tokenizer.EncodeChat(r.Messages.Take(1).ToList(), addGenerationPrompt: true, ChatTemplate.Llama3)).ToList();
        var answers = model.Generate(prompts, new GenerationOptions { MaxNewTokens = 12, EosTokenIds = tokenizer.ChatStopTokenIds(ChatTemplate.Llama3) }, tokenizer);
        return records.Zip(answers).Count(x => x.First.Messages[1].Content == x.Second.Text) / (double)records.Count;
    }

    [Fact]
    public void The_adapter_reproduces_a_memorised_set_the_base_does_not()
    {
        using var dir = new TempDirectory();
        var tokenizer = Tokenizer();
        using var model = Model(dir, tokenizer);
        var words = new[] { "red", "blue", "green", "gold", "gray", "pink" };
        var records = Records(Enumerable.Range(0, 50).Select(i => ($"q{i}", $"{words[i % 6]} {i * 7 % 50}")));
        var data = ChatDataset.FromRecords(records, tokenizer, new ChatDataOptions { MaxLength = 64, Template = ChatTemplate.Llama3 });
        double before = ExactMatch(model, tokenizer, records);

        var trainer = new LoraTrainer(model, new TrainerOptions { Epochs = 100, BatchSize = 10, LearningRate = 1e-2, WarmupSteps = 10, LogEvery = 50, Seed = 1 });
        var result = trainer.Train(data.Examples, null, paddingId: 0);
        double after = ExactMatch(model, tokenizer, records);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"memorisation exact match: base {before:P0}, fine-tuned {after:P0}; final train loss {result.TrainLoss:0.0000}, {result.Steps} steps in {result.Elapsed.TotalSeconds:0.0} s"));
        Assert.True(before < 0.1, $"base exact match {before:P0}");
        Assert.True(after >= 0.9, $"fine-tuned exact match {after:P0}");
    }

    [Fact]
    public void A_held_out_split_of_a_format_task_ends_below_the_base_validation_loss_and_samples_are_written()
    {
        using var dir = new TempDirectory();
        var tokenizer = Tokenizer();
        using var model = Model(dir, tokenizer);
        var names = new[] { "ana", "bob", "cy", "dee", "eli", "fay", "gus", "hal", "ivy", "jo" };
        // The rule: "name N age A" becomes {"name":"N","age":A}. Held out: names and ages never seen in training together.
        var all = Records(Enumerable.Range(0, 60).Select(i => (User: $"name {names[i % 10]} age {i + 10}", Assistant: $"{{\"name\":\"{names[i % 10]}\",\"age\":{i + 10}}}")));
        var options = new ChatDataOptions { MaxLength = 96, Template = ChatTemplate.Llama3 };
        var train = ChatDataset.FromRecords(all.Take(48).ToList(), tokenizer, options with { Pack = true });
        var validation = ChatDataset.FromRecords(all.Skip(48).ToList(), tokenizer, options);
        double baseLoss = Evaluator.Evaluate(model, model, validation.Examples, 8, 0, CPU).Loss;

        using var output = new StringWriter();
        var observer = new ChatSampleObserver(model, validation.Records, output, dir.Path, samples: 2, maxNewTokens: 24, template: ChatTemplate.Llama3);
        var trainer = new LoraTrainer(model, new TrainerOptions { Epochs = 10, BatchSize = 4, LearningRate = 1e-2, WarmupSteps = 5, EvalEvery = 40, LogEvery = 40, Seed = 1 });
        var result = trainer.Train(train.Examples, validation.Examples, paddingId: 0, observer);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"format task: base validation loss {baseLoss:0.0000} (perplexity {Math.Exp(baseLoss):0.0}), fine-tuned {result.ValidationLoss:0.0000} (perplexity {Math.Exp(result.ValidationLoss!.Value):0.00}), {result.Steps} steps"));
        log.WriteLine(output.ToString());
        Assert.True(result.ValidationLoss < baseLoss / 2, $"validation loss {result.ValidationLoss} vs base {baseLoss}");
        Assert.Contains("perplexity", output.ToString());
        var samples = File.ReadAllLines(Path.Combine(dir.Path, ChatSampleObserver.SamplesFileName));
        Assert.True(samples.Length >= 2 && samples.All(l => l.Contains("\"generated\"")), string.Join('\n', samples));
    }
}
