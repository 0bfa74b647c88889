using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LoraSdk.Templates.Tests;

public sealed partial class LoraProjectTemplateTests
{
    /// <summary>Every answer of <see cref="TinyChatModel"/> is exactly this many lowercase letters (the test's MaxNewTokens).</summary>
    private const int AnswerLength = 8;

    /// <summary>
    /// The chat task end to end on a tiny random model folder (one project, to keep the slow steps few): `dotnet build`
    /// fine-tunes on the shipped conversations with a few steps (adapter, loss curve, samples beside it, PEFT config
    /// naming the model folder), `dotnet run -- chat "…"` streams an answer, `dotnet run -- chat` holds a conversation
    /// read from stdin, a missing or wrong Model:Path is one clear line naming where it was set or looked for, the
    /// published app answers the same from another folder, and a second build skips training.
    /// </summary>
    [Fact]
    public void Chat_project_fine_tunes_a_model_folder_on_build_and_chats_with_the_adapter()
    {
        // A space in the path: the folder goes through dotnet new, appsettings.json and the build's dependency file.
        string model = TinyChatModel.Write(Path.Combine(feed.Root, "tiny chat model"));
        feed.New("chat", "-n", "Acme.Chat", "--task", "chat", "--model", model).ShouldSucceed();
        var project = new GeneratedProject(Path.Combine(feed.Root, "chat"), "chat");
        string settingsPath = Path.Combine(project.Directory, "appsettings.json");
        var settings = JsonNode.Parse(File.ReadAllText(settingsPath))!;
        Assert.Equal(model, (string?)settings["Model"]!["Path"]);
        Assert.DoesNotContain("#if", project.Read("Acme.Chat.csproj"));
        Assert.Equal(36, File.ReadAllLines(Path.Combine(project.Directory, "data", "train.jsonl")).Length);
        // Tiny: four steps, an evaluation every two with one sample answer.
        settings["LoRA"]!["MaxSteps"] = 4;
        settings["LoRA"]!["EvalEvery"] = 2;
        settings["Chat"]!["Samples"] = 1;
        settings["Chat"]!["MaxNewTokens"] = AnswerLength;
        File.WriteAllText(settingsPath, settings.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

        var build = project.Build().ShouldSucceed();
        Assert.Contains("chat: fine-tuning", build.Output);
        Assert.Contains("chat: adapter written to", build.Output);
        Assert.True(File.Exists(project.AdapterModel), $"no adapter after the build:\n{build.Output}");
        Assert.True(File.Exists(project.LossCurve), "no loss curve beside the adapter");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(project.AdapterDirectory, "adapter_config.json")))!;
        Assert.Equal("CAUSAL_LM", (string?)config["task_type"]);
        Assert.Equal(model, (string?)config["base_model_name_or_path"]);
        Assert.Equal(new[] { "k_proj", "o_proj", "q_proj", "v_proj" }, config["target_modules"]!.AsArray().Select(t => (string)t!).Order(StringComparer.Ordinal));
        // Two evaluations (steps 2 and 4), one validation prompt each, with the expected answer from data/validation.jsonl.
        var samples = File.ReadAllLines(Path.Combine(project.AdapterDirectory, "samples.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(new[] { 2, 4 }, samples.Select(s => (int)s["step"]!));
        Assert.All(samples, s => Assert.Equal("How do I duplicate a note?", (string?)s["prompt"]));
        Assert.All(samples, s => Assert.Matches($"^[a-z]{{{AnswerLength}}}$", (string)s["generated"]!));

        var answer = project.Run("chat", "How do I export a note?").ShouldSucceed();
        string answerLine = LastLine(answer.Output);
        Assert.Matches($"^[a-z]{{{AnswerLength}}}$", answerLine);
        Assert.Equal(answerLine, LastLine(project.Run("chat", "How do I export a note?").ShouldSucceed().Output)); // greedy: repeatable

        // Interactive: one answer per line read, until end of input; then until "exit".
        var session = project.RunWith("How do I export a note?\nAnd as Markdown?\n", null, "chat").ShouldSucceed();
        var turns = ChatTurn().Matches(session.Output).Select(m => m.Groups["answer"].Value).ToList();
        Assert.Equal(2, turns.Count);
        Assert.Equal(answerLine, turns[0]); // the first turn is the one-shot question
        var exited = project.RunWith("hi\nexit\nnever answered\n", null, "chat").ShouldSucceed();
        Assert.Single(ChatTurn().Matches(exited.Output));

        // Model:Path missing, then naming a folder that is no model: one line each, where it was looked for or set.
        var unset = project.Run("chat", "hi", "--Model:Path=");
        Assert.Equal(1, unset.ExitCode);
        Assert.Contains("error LORA210: Model:Path = (not set): no HuggingFace model folder configured (looked in ", unset.Output);
        Assert.Contains("environment variable Model__Path", unset.Output);
        Assert.DoesNotContain("Unhandled exception", unset.Output);
        string notAModel = Path.Combine(project.Directory, "data");
        var wrong = project.RunWith(null, new Dictionary<string, string> { ["Model__Path"] = notAModel }, "chat", "hi");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains($"Model:Path = {notAModel}: {notAModel} is not a HuggingFace model folder: it has no config.json. (set by environment variable Model__Path)", wrong.Output);
        // Training reports it the same way, before reading any data.
        var train = project.Run("train", "--Model:Path=no-such-model");
        Assert.Equal(2, train.ExitCode);
        Assert.Contains("error LORA210: Model:Path = no-such-model: no such folder", train.Output);

        // README's publish round trip: the published app (adapter and appsettings.json beside it) answers the same from another folder.
        string published = Path.Combine(feed.Root, "chat-published");
        DotNetCli.Run(project.Directory, TimeSpan.FromMinutes(8), "publish", "--no-build", "-c", "Debug", "-o", published, "-nodeReuse:false").ShouldSucceed();
        Assert.True(File.Exists(Path.Combine(published, "lora", "chat", "adapter_model.safetensors")), "the adapter was not published");
        var fromPublished = DotNetCli.Run(feed.Root, TimeSpan.FromMinutes(8), Path.Combine(published, "Acme.Chat.dll"), "chat", "How do I export a note?").ShouldSucceed();
        Assert.Equal(answerLine, LastLine(fromPublished.Output));

        AssertSecondBuildSkipsTraining(project, "chat");
    }

    private static string LastLine(string output) => output.Split('\n').Select(l => l.TrimEnd('\r')).Last(l => l.Length > 0);

    [GeneratedRegex(@"> (?<answer>[a-z]+)\r?$", RegexOptions.Multiline)]
    private static partial Regex ChatTurn();
}
