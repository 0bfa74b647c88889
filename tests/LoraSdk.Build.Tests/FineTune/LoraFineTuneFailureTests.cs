using System.Diagnostics;
using LoraSdk.Build.FineTune;
using Microsoft.Build.Framework;

namespace LoraSdk.Build.Tests.FineTune;

/// <summary>Failures of the fine-tune step that the user must be able to read at minimal verbosity, leftovers, and concurrent builds.</summary>
public sealed class LoraFineTuneFailureTests
{
    [Fact]
    public void The_error_for_a_crashed_program_quotes_its_own_error_lines()
    {
        using var trainer = new FakeTrainer("""
            echo 'lora-progress: {"step":1,"totalSteps":4,"epoch":1,"loss":2.5,"learningRate":0.001,"stepsPerSecond":5,"validationLoss":null}'
            echo 'info: LoraSdk.FineTuning[0] Fine-tuning TinyModel on 40 examples'
            echo "terminate called after throwing an instance of 'c10::Error'" >&2
            echo "  what():  Expected a 'torch.ByteTensor' of 5056 bytes" >&2
            echo "    at Native.Frame()" >&2
            exit 134
            """);
        var engine = new RecordingBuildEngine();

        Assert.False(trainer.CreateTask(engine).Execute());

        var error = Assert.Single(engine.Errors);
        Assert.Equal("LORA110", error.Code);
        var lines = error.Message!.Split(Environment.NewLine);
        Assert.Equal("Fine-tuning 'intents' failed: 'app.sh train' exited with code 134:", lines[0]);
        Assert.Equal(new[] { "  terminate called after throwing an instance of 'c10::Error'", "  what():  Expected a 'torch.ByteTensor' of 5056 bytes" }, lines[1..]);
    }

    [Fact]
    public void Without_error_like_lines_the_last_lines_are_quoted()
    {
        using var trainer = new FakeTrainer("echo 'one'\necho 'two'\nexit 3");
        var engine = new RecordingBuildEngine();
        Assert.False(trainer.CreateTask(engine).Execute());
        Assert.EndsWith($"exited with code 3:{Environment.NewLine}  one{Environment.NewLine}  two", Assert.Single(engine.Errors).Message);
    }

    [Fact]
    public void A_failed_run_also_removes_the_loss_curve_of_the_deleted_adapter()
    {
        using var trainer = new FakeTrainer("exit 130");
        trainer.WriteStaleAdapter();
        string curve = trainer.OutputDirectory + ".loss.svg";
        File.WriteAllText(curve, "<svg/>");
        var engine = new RecordingBuildEngine();

        Assert.False(trainer.CreateTask(engine).Execute());

        Assert.False(File.Exists(curve), "stale loss curve");
        Assert.All(trainer.AdapterPaths, p => Assert.False(File.Exists(p), p));
    }

    [Fact]
    public async Task Two_builds_of_one_adapter_train_one_after_the_other()
    {
        using var trainer = new FakeTrainer("""
            log="$(dirname "$0")/runs.txt"
            echo start >> "$log"
            sleep 1
            write_adapter
            echo end >> "$log"
            """);
        var firstEngine = new RecordingBuildEngine();
        var secondEngine = new RecordingBuildEngine();
        string lockPath = OutputLock.PathFor(trainer.OutputDirectory);

        var first = Task.Run(() => trainer.CreateTask(firstEngine).Execute());
        var clock = Stopwatch.StartNew();
        while (OutputLock.TryTake(lockPath) is { } free) // wait until the first build holds the lock
        {
            free.Dispose();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the first build never took the lock");
            await Task.Delay(10);
        }
        var second = Task.Run(() => trainer.CreateTask(secondEngine).Execute());

        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(30)), firstEngine.Log);
        Assert.True(await second.WaitAsync(TimeSpan.FromSeconds(30)), secondEngine.Log);
        Assert.Equal(new[] { "start", "end", "start", "end" }, File.ReadAllLines(Path.Combine(trainer.Directory, "runs.txt")));
        Assert.Single(secondEngine.MessagesAt(MessageImportance.High, $"intents: another build is training intents ({trainer.OutputDirectory}); waiting…"));
        Assert.Empty(firstEngine.MessagesAt(MessageImportance.High, "waiting"));
    }

    [Fact]
    public async Task Cancelling_a_build_that_waits_for_the_lock_stops_it()
    {
        using var trainer = new FakeTrainer("write_adapter");
        using var held = OutputLock.TryTake(OutputLock.PathFor(trainer.OutputDirectory));
        Assert.NotNull(held);
        var engine = new RecordingBuildEngine();
        var task = trainer.CreateTask(engine);

        var run = Task.Run(task.Execute);
        var clock = Stopwatch.StartNew();
        while (!engine.MessagesAt(MessageImportance.High, "waiting").Any())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the task never waited");
            await Task.Delay(10);
        }
        task.Cancel();

        Assert.False(await run.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("LORA111", Assert.Single(engine.Errors).Code);
        Assert.False(File.Exists(Path.Combine(trainer.Directory, "args.txt")), "the program ran");
    }
}
