using System.Text.Json.Nodes;
using LoraSdk.Hosting;
using LoraSdk.Models.Tests.Decoder;
using LoraSdk.Models.Tests.Tokenization;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace LoraSdk.Models.Tests.Chat;

/// <summary>
/// <see cref="ChatFineTuningServiceCollectionExtensions.AddLoraChatFineTuning"/> in a host run in this process (what the
/// chat template's <c>train</c> does): a tiny random model folder with a ChatML template, chat JSONL data, the LoRA,
/// Model and Chat sections in appsettings.json. Stdout and stderr are captured, so the class runs alone.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public sealed class ChatHostingTests
{
    private const int ImStart = 280, ImEnd = 281;
    private const string ChatML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /// <summary>Writes the model folder (config, weights, tokenizer with the chat template) into dir/model and returns it.</summary>
    private static string ModelFolder(TempDirectory dir)
    {
        var spec = new TinyDecoderSpec { Vocab = 282, Hidden = 32, Intermediate = 48, Layers = 2, Heads = 4, KvHeads = 2 };
        string folder = Path.Combine(dir.Path, "model");
        spec.WriteFolder(folder, spec.RandomWeights(seed: 5));
        var tokenizer = TokenizerFolders.Llama3Style();
        var added = (JsonArray)tokenizer["added_tokens"]!;
        added.Add(TokenizerFolders.Added(ImStart, "<|im_start|>", special: true));
        added.Add(TokenizerFolders.Added(ImEnd, "<|im_end|>", special: true));
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizer.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            new JsonObject { ["eos_token"] = "<|im_end|>", ["chat_template"] = ChatML }.ToJsonString());
        return folder;
    }

    private static void Data(TempDirectory dir)
    {
        string[] colours = ["red", "blue", "green", "gold"];
        File.WriteAllLines(dir.File("train.jsonl"), Enumerable.Range(0, 12).Select(i => i % 3 == 0
            ? $$"""{"prompt": "colour {{i}}?", "completion": "{{colours[i % 4]}}"}"""
            : $$"""{"messages": [{"role": "user", "content": "colour {{i}}?"}, {"role": "assistant", "content": "{{colours[i % 4]}}"}]}"""));
        File.WriteAllLines(dir.File("validation.jsonl"), Enumerable.Range(12, 3).Select(i =>
            $$"""{"messages": [{"role": "user", "content": "colour {{i}}?"}, {"role": "assistant", "content": "{{colours[i % 4]}}"}]}"""));
    }

    private static void Settings(TempDirectory dir, string modelPath, string chat = """{ "Samples": 1, "MaxNewTokens": 4, "Pack": true }""") =>
        File.WriteAllText(dir.File("appsettings.json"), $$"""
            {
              "Model": { "Path": {{System.Text.Json.JsonSerializer.Serialize(modelPath)}} },
              "LoRA": {
                "Dataset": "train.jsonl", "ValidationDataset": "validation.jsonl", "MaxLength": 64, "Rank": 4, "Alpha": 8,
                "MaxSteps": 6, "EvalEvery": 3, "BatchSize": 4, "LearningRate": 0.01, "WarmupSteps": 1, "LogEvery": 3, "Seed": 3,
                "Threads": 1, "Output": "adapter"
              },
              "Chat": {{chat}}
            }
            """);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string contentRoot, params string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = contentRoot });
        builder.Services.AddLoraChatFineTuning();
        var host = builder.Build();
        TextWriter output = new StringWriter(), error = new StringWriter();
        var (originalOut, originalError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int exitCode = await host.RunLoraFineTuningAsync();
            return (exitCode, output.ToString()!, error.ToString()!);
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }

    [Fact]
    public async Task Trains_on_chat_jsonl_with_perplexity_and_samples_beside_the_adapter()
    {
        using var dir = new TempDirectory();
        string model = ModelFolder(dir);
        Data(dir);
        Settings(dir, "model"); // relative to the content root
        var (exitCode, stdout, stderr) = await RunAsync(dir.Path, "--LoraSdkBuild:DependencyFile=obj/inputs.txt");
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{stderr}\n{stdout}");
        // The build's next up-to-date check reads the model folder too: a changed model retrains.
        var inputs = File.ReadAllText(dir.File(Path.Combine("obj", "inputs.txt")));
        Assert.Contains(model + Path.DirectorySeparatorChar, inputs);
        Assert.Contains(dir.File("train.jsonl"), inputs);

        string adapter = dir.File("adapter");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")))!;
        Assert.Equal(model, (string?)config["base_model_name_or_path"]);
        Assert.Equal("CAUSAL_LM", (string?)config["task_type"]);
        Assert.Equal(4, (int)config["r"]!);
        Assert.Equal(new[] { "q_proj", "v_proj" }, config["target_modules"]!.AsArray().Select(t => (string)t!).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(adapter + ".loss.svg"), "no loss curve beside the adapter");
        // Evaluations at steps 3 and 6, each with the perplexity and one sample answer (written beside the adapter).
        Assert.Equal(2, stdout.Split('\n').Count(l => l.StartsWith("step ", StringComparison.Ordinal) && l.Contains(", perplexity ", StringComparison.Ordinal)));
        Assert.Contains("    (expected: red)", stdout); // colour 12's answer
        var samples = File.ReadAllLines(Path.Combine(adapter, ChatSampleObserver.SamplesFileName)).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(new[] { 3, 6 }, samples.Select(s => (int)s["step"]!));
        Assert.All(samples, s => Assert.Equal("colour 12?", (string?)s["prompt"]));
        Assert.Contains("lora-evaluation:", stdout);
        Assert.EndsWith(adapter, stdout.TrimEnd());
    }

    [Fact]
    public async Task Model_path_and_chat_settings_are_checked_at_start_up_as_LORA210_lines()
    {
        using var dir = new TempDirectory();
        Data(dir);
        Settings(dir, "");
        var (exitCode, _, stderr) = await RunAsync(dir.Path);
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        Assert.Contains($"{dir.File("appsettings.json")}(2,", stderr);
        Assert.Contains("error LORA210: Model:Path = (not set): no HuggingFace model folder configured (looked in ", stderr);

        Settings(dir, "missing");
        (exitCode, _, stderr) = await RunAsync(dir.Path);
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        Assert.Equal($"{dir.File("appsettings.json")}(2,14): error LORA210: Model:Path = missing: no such folder ({dir.File("missing")}).", stderr.Trim());

        // A folder whose tokenizer has no chat template: LORA212 naming the file, before any data is read.
        string model = ModelFolder(dir);
        File.WriteAllText(Path.Combine(model, "tokenizer_config.json"), """{ "eos_token": "<|im_end|>" }""");
        Settings(dir, model, """{ "TargetModules": [ "q_proj", "x_proj" ] }""");
        (exitCode, _, stderr) = await RunAsync(dir.Path);
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        Assert.Contains("error LORA210: Chat:TargetModules = q_proj,x_proj: x_proj is no projection of these models", stderr);
        Settings(dir, model);
        (exitCode, _, stderr) = await RunAsync(dir.Path);
        Assert.Equal(FineTuningExitCodes.InvalidInput, exitCode);
        Assert.StartsWith($"{Path.Combine(model, "tokenizer.json")}(1,1): error LORA212: ", stderr.Trim());
        Assert.Contains("no chat_template", stderr);
    }
}
