using LoraSdk.Build.Tasks;
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
    public void Reads_dataset_and_output_from_the_config_and_lists_existing_files_as_inputs()
    {
        Write("data/train.jsonl", "{}");
        Write("data/valid.jsonl", "{}");
        Write("weights/base/model.safetensors", "w");
        Write("weights/base/vocab.txt", "v");
        Write("appsettings.json", """
            {
              // comments and trailing commas are allowed, as in Microsoft.Extensions.Configuration
              "Logging": { "LogLevel": { "Default": "Information" } },
              "lora": {
                "Dataset": "data/train.jsonl",
                "Data": { "Validation": "data/valid.jsonl" },
                "BaseModel": "weights/base",
                "Output": "adapters/intents",
                "Targets": [ "query", "value" ],
                "Rank": 8,
              },
            }
            """);

        ITaskItem resolved = ResolveSingle(new TaskItem("intents"));

        Assert.Equal(Full("adapters/intents"), resolved.GetMetadata("LoraSdkOutput"));
        Assert.Equal(new[] { Full("adapters/intents/adapter_model.safetensors"), Full("adapters/intents/adapter_config.json") },
            resolved.GetMetadata("LoraSdkAdapterFiles").Split(';'));
        Assert.Equal(new[] { "appsettings.json", "data/train.jsonl", "data/valid.jsonl", "weights/base/model.safetensors", "weights/base/vocab.txt" }
                .Select(Full).OrderBy(p => p, StringComparer.Ordinal),
            resolved.GetMetadata("LoraSdkInputs").Split(';'));
        Assert.Equal("false", resolved.GetMetadata("LoraSdkOwnsOutput"));
    }

    [Fact]
    public void Item_metadata_overrides_the_config_and_the_default_output_lies_under_obj()
    {
        Write("appsettings.json", """{ "LoRA": { "Dataset": "data/old.jsonl" } }""");
        Write("data/old.jsonl", "{}");
        Write("data/new.jsonl", "{}");
        Write("extra/tokenizer.json", "{}");
        var item = new TaskItem("support-intents");
        item.SetMetadata("Dataset", "data/new.jsonl");
        item.SetMetadata("ExtraInputs", "extra/tokenizer.json;missing.bin");
        item.SetMetadata("Rank", "4");

        ITaskItem resolved = ResolveSingle(item);

        Assert.Equal(Full("obj/lora/support-intents"), resolved.GetMetadata("LoraSdkOutput"));
        Assert.Equal("true", resolved.GetMetadata("LoraSdkOwnsOutput"));
        // The config still names data/old.jsonl, so it stays an input too: harmless, and the program may read it.
        Assert.Equal(new[] { "appsettings.json", "data/new.jsonl", "data/old.jsonl", "extra/tokenizer.json" }.Select(Full),
            resolved.GetMetadata("LoraSdkInputs").Split(';'));
    }

    [Fact]
    public void Never_counts_the_project_folder_or_what_training_writes_as_an_input()
    {
        Write("obj/lora/intents/adapter_config.json", "{}");
        Write("obj/lora/intents.checkpoints/last/state.json", "{}");
        Write("ckpt/last/state.json", "{}");
        Write("appsettings.json", """
            { "LoRA": { "WorkingDirectory": ".", "Root": "..", "Previous": "obj/lora/intents", "Checkpoints": "obj/lora/intents.checkpoints",
                        "CheckpointDirectory": "ckpt" } }
            """);
        var item = new TaskItem("intents");
        item.SetMetadata("checkpointdirectory", "ckpt/last");

        ITaskItem resolved = ResolveSingle(item);

        Assert.Equal(Full("appsettings.json"), resolved.GetMetadata("LoraSdkInputs"));
    }

    [Fact]
    public void Another_config_file_adds_to_the_appsettings_json_that_the_program_still_loads()
    {
        Write("appsettings.json", """{ "LoRA": { "Dataset": "data/train.jsonl", "Output": "adapters/ignored" } }""");
        Write("settings/intents.json", """{ "LoRA": { "Validation": "data/valid.jsonl" } }""");
        Write("data/train.jsonl", "{}");
        Write("data/valid.jsonl", "{}");
        var item = new TaskItem("intents");
        item.SetMetadata("Config", "settings/intents.json");

        ITaskItem resolved = ResolveSingle(item);

        // Output comes from the item's own Config only (the build always passes --LoRA:Output).
        Assert.Equal(Full("obj/lora/intents"), resolved.GetMetadata("LoraSdkOutput"));
        Assert.Equal(new[] { "appsettings.json", "data/train.jsonl", "data/valid.jsonl", "settings/intents.json" }.Select(Full),
            resolved.GetMetadata("LoraSdkInputs").Split(';'));
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

    private void Write(string relative, string text)
    {
        string path = Full(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private string Full(string relative) => Path.GetFullPath(Path.Combine(_project, relative));
}
