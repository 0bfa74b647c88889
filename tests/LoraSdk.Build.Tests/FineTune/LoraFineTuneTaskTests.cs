using System.Diagnostics;
using Microsoft.Build.Framework;

namespace LoraSdk.Build.Tests.FineTune;

/// <summary>The LoraFineTune task against a fake program (a shell script), as MSBuild would run it.</summary>
public sealed class LoraFineTuneTaskTests
{
    [Fact]
    public void Passes_item_metadata_as_configuration_overrides_and_runs_in_the_project_folder()
    {
        using var trainer = new FakeTrainer("write_adapter");
        var engine = new RecordingBuildEngine();
        var task = trainer.CreateTask(engine, ("Rank", "8"), ("Epochs", "2"), ("Dataset", "data/my train.jsonl"), ("LoraPlusLrRatio", "16"),
            ("Config", "appsettings.json"), ("LoraSdkOutput", "/ignored"), ("Output", "ignored-too"),
            ("OriginalItemSpec", "intents"), ("MSBuildSourceProjectFile", "x.csproj"));

        Assert.True(task.Execute(), engine.Log);
        Assert.Empty(engine.Warnings);

        // Build-only metadata (Config, LoraSdk*, what MSBuild adds to copied items) is not passed; Output always comes from the target.
        Assert.Equal(new[]
        {
            "train",
            "--LoRA:Dataset=data/my train.jsonl",
            "--LoRA:Epochs=2",
            "--LoRA:LoraPlusLrRatio=16",
            "--LoRA:Rank=8",
            "--LoRA:Output=obj/lora/intents",
            "--LoraSdkBuild:DependencyFile=obj/lora/intents.inputs",
        }, trainer.RecordedArguments);
        Assert.Equal(trainer.Directory, trainer.RecordedWorkingDirectory);
        Assert.Empty(engine.Errors);
        Assert.Equal("intents", Assert.Single(task.Trained).ItemSpec);
    }

    [Fact]
    public void Forwards_the_LoRA_section_of_a_non_default_config_file_with_item_metadata_winning()
    {
        using var trainer = new FakeTrainer("write_adapter");
        File.WriteAllText(Path.Combine(trainer.Directory, "appsettings.json"), """{ "LoRA": { "Rank": 2 } }""");
        File.WriteAllText(Path.Combine(trainer.Directory, "other.json"), """
            {
              // the program never loads this file itself
              "Logging": { "LogLevel": { "Default": "Debug" } },
              "LoRA": {
                "Dataset": "data/other train.jsonl",
                "Rank": 16,
                "LearningRate": 2e-4,
                "UseRsLoRA": true,
                "Seed": null,
                "Data": { "Validation": "data/valid.jsonl" },
                "Labels": [ "greet", "bye" ],
                "Targets": [ "query", "value", "key" ],
                "Output": "adapters/from-config",
              },
            }
            """);
        var engine = new RecordingBuildEngine();
        var task = trainer.CreateTask(engine, ("Config", "other.json"), ("Rank", "8"), ("Targets", "dense"), ("UseDoRA", "true"));

        Assert.True(task.Execute(), engine.Log);

        // File values first, as configuration paths; metadata replaces a key with everything below it
        // (Targets:0..2), and Output always comes from the target.
        Assert.Equal(new[]
        {
            "train",
            "--LoRA:Dataset=data/other train.jsonl",
            "--LoRA:LearningRate=0.0002",
            "--LoRA:UseRsLoRA=true",
            "--LoRA:Data:Validation=data/valid.jsonl",
            "--LoRA:Labels:0=greet",
            "--LoRA:Labels:1=bye",
            "--LoRA:Rank=8",
            "--LoRA:Targets=dense",
            "--LoRA:UseDoRA=true",
            "--LoRA:Output=obj/lora/intents",
            "--LoraSdkBuild:DependencyFile=obj/lora/intents.inputs",
        }, trainer.RecordedArguments);
    }

    [Theory]
    [InlineData("appsettings.json")]
    [InlineData("./appsettings.json")]
    public void Leaves_the_default_config_to_the_program(string config)
    {
        using var trainer = new FakeTrainer("write_adapter");
        File.WriteAllText(Path.Combine(trainer.Directory, "appsettings.json"), """{ "LoRA": { "Rank": 2 } }""");
        var engine = new RecordingBuildEngine();

        Assert.True(trainer.CreateTask(engine, ("Config", config)).Execute(), engine.Log);

        Assert.Equal(new[] { "train", "--LoRA:Output=obj/lora/intents", "--LoraSdkBuild:DependencyFile=obj/lora/intents.inputs" }, trainer.RecordedArguments);
    }

    [Fact]
    public void A_bad_config_file_fails_before_the_program_starts()
    {
        using var trainer = new FakeTrainer("write_adapter");
        File.WriteAllText(Path.Combine(trainer.Directory, "other.json"), "{ \"LoRA\": { \"Rank\": 8,, } }");
        trainer.WriteStaleAdapter();
        var engine = new RecordingBuildEngine();

        Assert.False(trainer.CreateTask(engine, ("Config", "other.json")).Execute());

        var error = Assert.Single(engine.Errors);
        Assert.Equal(("LORA121", Path.Combine(trainer.Directory, "other.json"), 1), (error.Code, error.File, error.LineNumber));
        Assert.False(File.Exists(Path.Combine(trainer.Directory, "args.txt")), "the program ran");
        Assert.All(trainer.AdapterPaths, p => Assert.False(File.Exists(p), p));
    }

    [Fact]
    public void Relays_one_progress_line_every_interval_and_every_evaluation_at_normal_verbosity_and_the_result_at_high()
    {
        using var trainer = new FakeTrainer("""
            i=1
            while [ $i -le 25 ]; do
              echo "lora-progress: {\"step\":$i,\"totalSteps\":25,\"epoch\":1,\"loss\":2.5,\"learningRate\":0.0009,\"stepsPerSecond\":5.2,\"validationLoss\":null}"
              i=$((i+1))
            done
            echo 'lora-evaluation: {"step":20,"validationLoss":0.51234,"validationAccuracy":0.875,"best":true}'
            echo 'lora-evaluation: {"step":25,"validationLoss":0.6,"validationAccuracy":null,"best":false}'
            echo 'some ordinary log line'
            write_adapter
            echo 'lora-result: {"adapter":"obj/lora/intents","trainLoss":0.4125,"validationLoss":0.5,"validationAccuracy":0.91,"baselineValidationAccuracy":0.4,"seconds":12.34}'
            """);
        var engine = new RecordingBuildEngine();
        var task = trainer.CreateTask(engine);
        task.ProgressInterval = 10;

        Assert.True(task.Execute(), engine.Log);

        var normal = engine.MessagesAt(MessageImportance.Normal, "/25 (epoch").ToList();
        Assert.Equal(new[]
        {
            "intents: step 1/25 (epoch 1), loss 2.5000, lr 9.00e-04, 5.2 steps/s",
            "intents: step 10/25 (epoch 1), loss 2.5000, lr 9.00e-04, 5.2 steps/s",
            "intents: step 20/25 (epoch 1), loss 2.5000, lr 9.00e-04, 5.2 steps/s",
            "intents: step 25/25 (epoch 1), loss 2.5000, lr 9.00e-04, 5.2 steps/s",
        }, normal);
        Assert.Equal(21, engine.MessagesAt(MessageImportance.Low, "intents: step ").Count());
        Assert.Equal(new[]
        {
            "intents: step 20: validation loss 0.5123, accuracy 87.5 % (best so far)",
            "intents: step 25: validation loss 0.6000",
        }, engine.MessagesAt(MessageImportance.Normal, ": validation loss"));
        Assert.Equal(
            "intents: adapter written to obj/lora/intents in 12.3 s (train loss 0.4125, validation loss 0.5000, validation accuracy 91.0 % (base model 40.0 %))",
            Assert.Single(engine.MessagesAt(MessageImportance.High, "adapter written")));
        Assert.Single(engine.MessagesAt(MessageImportance.Low, "some ordinary log line"));
        Assert.Equal("obj/lora/intents", task.AdapterDirectory);
    }

    [Fact]
    public void Turns_canonical_error_lines_into_build_errors_and_removes_the_stale_adapter()
    {
        using var trainer = new FakeTrainer("""
            echo 'data/train.jsonl(3,17): error LORA201: invalid record: expected a JSON object'
            echo 'appsettings.json: error LORA210: LoRA:Rank must be positive'
            echo 'data/train.jsonl(9): warning LORA220: duplicate record'
            exit 2
            """);
        trainer.WriteStaleAdapter();
        var engine = new RecordingBuildEngine();

        Assert.False(trainer.CreateTask(engine).Execute());

        var errors = engine.Errors.ToList();
        Assert.Equal(2, errors.Count); // the program's own errors explain the exit code: no extra LORA110
        Assert.Equal(("LORA201", Path.Combine(trainer.Directory, "data", "train.jsonl"), 3, 17, "invalid record: expected a JSON object"),
            (errors[0].Code, errors[0].File, errors[0].LineNumber, errors[0].ColumnNumber, errors[0].Message));
        Assert.Equal(("LORA210", Path.Combine(trainer.Directory, "appsettings.json"), 0, "LoRA:Rank must be positive"),
            (errors[1].Code, errors[1].File, errors[1].LineNumber, errors[1].Message));
        var warning = Assert.Single(engine.Warnings);
        Assert.Equal(("LORA220", 9, 0), (warning.Code, warning.LineNumber, warning.ColumnNumber));
        Assert.All(trainer.AdapterPaths, p => Assert.False(File.Exists(p), p));
        Assert.False(File.Exists(trainer.DependencyFilePath), "the dependency file of the earlier run would let the next build skip");
    }

    [Fact]
    public void Reports_a_non_zero_exit_that_printed_no_error_line()
    {
        using var trainer = new FakeTrainer("echo 'Unhandled exception. System.InvalidOperationException: boom' >&2\nexit 3");
        trainer.WriteStaleAdapter();
        var engine = new RecordingBuildEngine();

        Assert.False(trainer.CreateTask(engine).Execute());

        var error = Assert.Single(engine.Errors);
        Assert.Equal("LORA110", error.Code);
        Assert.Contains("exited with code 3", error.Message);
        Assert.Single(engine.MessagesAt(MessageImportance.Normal, "System.InvalidOperationException: boom"));
        Assert.All(trainer.AdapterPaths, p => Assert.False(File.Exists(p), p));
    }

    [Fact]
    public void Reports_an_interrupted_program()
    {
        using var trainer = new FakeTrainer("exit 130");
        var engine = new RecordingBuildEngine();

        Assert.False(trainer.CreateTask(engine).Execute());

        Assert.Equal("LORA111", Assert.Single(engine.Errors).Code);
    }

    [Fact]
    public void Warns_when_the_program_writes_the_adapter_but_no_dependency_file()
    {
        using var trainer = new FakeTrainer("write_adapter_only");
        var engine = new RecordingBuildEngine();

        Assert.True(trainer.CreateTask(engine).Execute(), engine.Log);

        var warning = Assert.Single(engine.Warnings);
        Assert.Equal("LORA116", warning.Code);
        Assert.Contains(trainer.DependencyFilePath, warning.Message);
    }

    [Fact]
    public void Fails_when_the_program_succeeds_without_writing_the_adapter()
    {
        using var trainer = new FakeTrainer("echo 'Hello from a program that knows no train command'");
        var engine = new RecordingBuildEngine();
        var task = trainer.CreateTask(engine);

        Assert.False(task.Execute());

        var error = Assert.Single(engine.Errors);
        Assert.Equal("LORA113", error.Code);
        Assert.Contains("adapter_model.safetensors", error.Message);
        Assert.Empty(task.Trained);
    }

    [Fact]
    public async Task Cancellation_kills_the_program_and_leaves_no_adapter()
    {
        using var trainer = new FakeTrainer("""
            echo $$ > "$(dirname "$0")/pid.txt"
            while :; do sleep 0.1; done
            """);
        trainer.WriteStaleAdapter();
        var engine = new RecordingBuildEngine();
        var task = trainer.CreateTask(engine);
        string pidFile = Path.Combine(trainer.Directory, "pid.txt");

        var run = Task.Run(task.Execute);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(pidFile) || File.ReadAllText(pidFile).Trim().Length == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the fake program did not start");
            await Task.Delay(20);
        }
        int pid = int.Parse(File.ReadAllText(pidFile).Trim());
        task.Cancel();

        bool succeeded = await run.WaitAsync(TimeSpan.FromSeconds(20)); // throws TimeoutException if Cancel did not stop it
        Assert.False(succeeded);
        Assert.False(IsRunning(pid), $"process {pid} is still running");
        Assert.All(trainer.AdapterPaths, p => Assert.False(File.Exists(p), p));
        Assert.Empty(task.Trained);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
