using LoraSdk.Build.Tasks;
using LoraSdk.Shared;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace LoraSdk.Build.Tests.FineTune;

/// <summary>Where each adapter goes and which files make it stale.</summary>
public sealed class ResolveLoraFineTunesTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "lora-resolve-" + Guid.NewGuid().ToString("N"));
    private readonly RecordingBuildEngine _engine = new();

    public ResolveLoraFineTunesTests() => Directory.CreateDirectory(_project);

    public void Dispose() => Directory.Delete(_project, recursive: true);

    [Fact]
    public void Reads_the_output_from_the_config_and_takes_the_inputs_from_the_programs_dependency_file()
    {
        Write("data/train.jsonl", "{}");
        Write("data/valid.jsonl", "{}");
        Write("appsettings.json", """
            {
              // comments and trailing commas are allowed, as in Microsoft.Extensions.Configuration
              "Logging": { "LogLevel": { "Default": "Information" } },
              "lora": {
                "Dataset": "data/train.jsonl",
                "Data": { "Validation": "data/valid.jsonl" },
                "Output": "adapters/intents",
                "Rank": 8,
              },
            }
            """);
        // What the program listed after its last run: only these count, whatever other strings the config holds.
        WriteDependencies("intents", "appsettings.json", "data/train.jsonl");

        ITaskItem resolved = ResolveSingle(new TaskItem("intents"));

        Assert.Equal(Full("adapters/intents"), resolved.GetMetadata("LoraSdkOutput"));
        Assert.Equal(new[] { Full("adapters/intents/adapter_model.safetensors"), Full("adapters/intents/adapter_config.json") },
            resolved.GetMetadata("LoraSdkAdapterFiles").Split(';'));
        Assert.Equal(Full("obj/lora/intents.inputs"), resolved.GetMetadata("LoraSdkDependencyFile"));
        Assert.Equal(new[] { Full("appsettings.json"), Full("data/train.jsonl") }, InputsOf(resolved));
        Assert.Equal((Full("adapters/intents.loss.svg"), Full("adapters/intents.checkpoints")),
            (resolved.GetMetadata("LoraSdkLossCurve"), resolved.GetMetadata("LoraSdkCheckpoints")));
        Assert.Equal("false", resolved.GetMetadata("LoraSdkOwnsOutput"));
    }

    [Fact]
    public void Before_the_first_run_only_the_extra_inputs_count_and_the_default_output_lies_under_obj()
    {
        Write("appsettings.json", """{ "LoRA": { "Dataset": "data/old.jsonl" } }""");
        Write("data/old.jsonl", "{}");
        Write("extra/tokenizer.json", "{}");
        Write("weights/base/model.safetensors", "w");
        Write("weights/base/vocab.txt", "v");
        var item = new TaskItem("support-intents");
        item.SetMetadata("Dataset", "data/new.jsonl");
        item.SetMetadata("ExtraInputs", "extra/tokenizer.json;missing.bin;weights/base;.");
        item.SetMetadata("Rank", "4");

        ITaskItem resolved = ResolveSingle(item);

        Assert.Equal(Full("obj/lora/support-intents"), resolved.GetMetadata("LoraSdkOutput"));
        Assert.Equal("true", resolved.GetMetadata("LoraSdkOwnsOutput"));
        // No dependency file yet: the target's output is missing, so MSBuild trains whatever the inputs say.
        // A folder counts with every file in it; the project folder itself never does.
        Assert.Equal(new[] { "extra/tokenizer.json", "weights/base/model.safetensors", "weights/base/vocab.txt" }.Select(Full),
            InputsOf(resolved));
    }

    [Theory]
    [InlineData("# LoraSdk fine-tune inputs, version 1\n/abs/data.jsonl\n")] // cut short: no end line
    [InlineData("/abs/data.jsonl\n# end\n")] // no header
    [InlineData("# LoraSdk fine-tune inputs, version 1\ndata.jsonl\n# end\n")] // a relative path
    [InlineData("")]
    public void An_unreadable_dependency_file_makes_an_input_that_does_not_exist_so_the_build_trains(string text)
    {
        Write("obj/lora/intents.inputs", text);

        ITaskItem resolved = ResolveSingle(new TaskItem("intents"));

        string input = Assert.Single(InputsOf(resolved));
        Assert.False(File.Exists(input), input);
        Assert.Single(_engine.MessagesAt(MessageImportance.Normal, "fine-tuning again"));
    }

    [Fact]
    public void A_forwarded_config_file_is_an_input_since_the_program_never_reads_it()
    {
        Write("appsettings.json", """{ "LoRA": { "Dataset": "data/train.jsonl", "Output": "adapters/ignored" } }""");
        Write("settings/intents.json", """{ "LoRA": { "Validation": "data/valid.jsonl" } }""");
        Write("data/train.jsonl", "{}");
        WriteDependencies("intents", "appsettings.json", "data/train.jsonl");
        var item = new TaskItem("intents");
        item.SetMetadata("Config", "settings/intents.json");

        ITaskItem resolved = ResolveSingle(item);

        // Output comes from the item's own Config only (the build always passes --LoRA:Output).
        Assert.Equal(Full("obj/lora/intents"), resolved.GetMetadata("LoraSdkOutput"));
        Assert.Equal(new[] { "appsettings.json", "data/train.jsonl", "settings/intents.json" }.Select(Full),
            InputsOf(resolved));
    }

    [Fact]
    public void A_config_with_invalid_json_is_an_error_at_its_line_and_column()
    {
        Write("settings/train.json", "{\n  \"LoRA\": {\n    \"Rank\": 8 \"Epochs\": 2\n  }\n}");
        var item = new TaskItem("intents");
        item.SetMetadata("Config", "settings/train.json");

        Assert.False(CreateTask(item).Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("LORA121", Full("settings/train.json"), 3, 15), (error.Code, error.File, error.LineNumber, error.ColumnNumber));
    }

    [Fact]
    public void A_missing_config_named_by_the_item_is_an_error()
    {
        var item = new TaskItem("intents");
        item.SetMetadata("Config", "nope.json");

        Assert.False(CreateTask(item).Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("LORA120", error.Code);
        Assert.Contains("nope.json", error.Message);
    }

    [Fact]
    public void Two_items_writing_the_same_adapter_folder_are_an_error()
    {
        var first = new TaskItem("a");
        first.SetMetadata("Output", "out/shared");
        var second = new TaskItem("b");
        second.SetMetadata("Output", "out/shared/");

        Assert.False(CreateTask(first, second).Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("LORA122", error.Code);
        Assert.Contains("'a' and 'b'", error.Message);
    }

    [Fact]
    public void Lists_the_adapter_files_and_loss_curve_to_ship_under_lora_and_the_item_name()
    {
        var task = CreateTask(new TaskItem("intents"));
        Assert.True(task.Execute(), _engine.Log);

        string adapter = Full("obj/lora/intents");
        Assert.Equal(new[]
            {
                (adapter + "/adapter_model.safetensors", "lora/intents/adapter_model.safetensors"),
                (adapter + "/adapter_config.json", "lora/intents/adapter_config.json"),
                (adapter + ".loss.svg", "lora/intents.loss.svg"),
            }.Select(p => (p.Item1.Replace('/', Path.DirectorySeparatorChar), p.Item2.Replace('/', Path.DirectorySeparatorChar))),
            task.Shipped.Select(i => (i.ItemSpec, i.GetMetadata("TargetPath"))));
        Assert.All(task.Shipped, i => Assert.Equal("intents", i.GetMetadata("LoraFineTune")));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("..")]
    public void A_name_that_is_not_one_folder_name_is_an_error(string name)
    {
        Assert.False(CreateTask(new TaskItem(name)).Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("LORA124", error.Code);
        Assert.Contains($"'{name}'", error.Message);
    }

    private ITaskItem ResolveSingle(ITaskItem item)
    {
        var task = CreateTask(item);
        Assert.True(task.Execute(), _engine.Log);
        return Assert.Single(task.Resolved);
    }

    private ResolveLoraFineTunes CreateTask(params ITaskItem[] items) => new()
    {
        BuildEngine = _engine,
        FineTunes = items,
        ProjectDirectory = _project,
        DefaultOutputRoot = Path.Combine(_project, "obj", "lora") + Path.DirectorySeparatorChar,
        IntermediateDirectory = Path.Combine(_project, "obj") + Path.DirectorySeparatorChar,
    };

    [Fact]
    public void The_items_metadata_are_a_stamp_file_rewritten_only_when_they_change()
    {
        Write("appsettings.json", "{}");
        var item = new TaskItem("intents");
        item.SetMetadata("Rank", "8");
        item.SetMetadata("Config", "appsettings.json");
        string stamp = ResolveSingle(item).GetMetadata("LoraSdkOptionsStamp");
        Assert.Equal("Config=appsettings.json\nRank=8\n", File.ReadAllText(stamp));
        var old = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(stamp, old);

        ResolveSingle(item);
        Assert.Equal(old, File.GetLastWriteTimeUtc(stamp)); // unchanged metadata: the adapter stays up to date

        item.SetMetadata("Rank", "4");
        var copyOnly = CreateTask(item);
        copyOnly.WriteOptionsStamps = false; // a build that does not train (LoraFineTuneOnBuild false, clean) leaves it
        Assert.True(copyOnly.Execute(), _engine.Log);
        Assert.Equal(old, File.GetLastWriteTimeUtc(stamp));

        ResolveSingle(item);
        Assert.True(File.GetLastWriteTimeUtc(stamp) > old, "a changed option must make the adapter stale");
        Assert.Equal("Config=appsettings.json\nRank=4\n", File.ReadAllText(stamp));
    }

    [Theory]
    [InlineData("""{ "LoRA": { "Gguf": true } }""", null, true)]
    [InlineData("""{ "LoRA": { "Gguf": "True" } }""", null, true)]
    [InlineData("""{ "LoRA": { "Gguf": true } }""", "false", false)]
    [InlineData("""{ "LoRA": { } }""", "true", true)]
    [InlineData("""{ "LoRA": { "Gguf": false } }""", null, false)]
    public void With_gguf_the_gguf_adapter_base_and_modelfile_are_outputs_too(string config, string? itemGguf, bool expected)
    {
        Write("appsettings.json", config);
        var item = new TaskItem("chat");
        if (itemGguf is not null) item.SetMetadata("Gguf", itemGguf);
        ITaskItem resolved = ResolveSingle(item);
        string[] peft = [Full("obj/lora/chat/adapter_model.safetensors"), Full("obj/lora/chat/adapter_config.json")];
        string[] gguf = [Full("obj/lora/chat/adapter_model.gguf"), Full("obj/lora/chat/base_model.gguf"), Full("obj/lora/chat/Modelfile")];
        Assert.Equal(expected ? [.. peft, .. gguf] : peft, resolved.GetMetadata("LoraSdkAdapterFiles").Split(';'));
    }

    /// <summary>The item's inputs besides its options stamp (which is always one).</summary>
    private static IEnumerable<string> InputsOf(ITaskItem resolved)
    {
        var inputs = resolved.GetMetadata("LoraSdkInputs").Split(';').ToList();
        Assert.True(inputs.Remove(resolved.GetMetadata("LoraSdkOptionsStamp")), "the options stamp is an input");
        return inputs;
    }

    private void WriteDependencies(string name, params string[] files) =>
        Write($"obj/lora/{name}.inputs", FineTuneContract.DependencyFile.Format(files.Select(Full)));

    private void Write(string relative, string text)
    {
        string path = Full(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private string Full(string relative) => Path.GetFullPath(Path.Combine(_project, relative));
}
