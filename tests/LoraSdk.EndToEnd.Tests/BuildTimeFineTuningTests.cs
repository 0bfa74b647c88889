using System.Text.RegularExpressions;

namespace LoraSdk.EndToEnd.Tests;

/// <summary>
/// `dotnet build` of a fresh consumer of the packed package: trains, skips when up to date, retrains on a
/// data change, fails with a located error on bad data, and `dotnet clean` removes the adapter. One consumer
/// project goes through all steps in order (each step is minutes of CLI work, so they share it).
/// </summary>
[Collection(PackedLoraSdkCollection.Name)]
public sealed class BuildTimeFineTuningTests(PackedLoraSdk package)
{
    [Fact]
    public void Dotnet_build_fine_tunes_incrementally_and_reports_bad_data_where_it_is()
    {
        var consumer = new ConsumerProject(package, "Consumer",
            new Dictionary<string, string> { ["Program.cs"] = ConsumerSources.Program, ["IntentClassifier.cs"] = ConsumerSources.Model },
            ConsumerSources.AppSettings, ConsumerSources.Dataset);

        // 1. First build: compiles, then trains and writes the adapter, relaying progress and the result.
        string log = consumer.Build().ShouldSucceed().Output;
        Assert.Contains($"{ConsumerProject.FineTuneName}: fine-tuning", log);
        Assert.Matches($@"{ConsumerProject.FineTuneName}: step \d+/\d+", log);
        Assert.Contains("(epoch 2)", log); // the item's Epochs="2" overrode the config's 1
        Assert.Contains($"{ConsumerProject.FineTuneName}: adapter written to", log);
        Assert.True(File.Exists(consumer.AdapterModel), log);
        Assert.True(File.Exists(consumer.AdapterConfig), log);
        DateTime firstTraining = File.GetLastWriteTimeUtc(consumer.AdapterModel);

        // 2. Nothing changed: no training, the adapter is untouched.
        log = consumer.Build().ShouldSucceed().Output;
        Assert.Contains($"{ConsumerProject.FineTuneName}: adapter is up to date", log);
        Assert.DoesNotContain($"{ConsumerProject.FineTuneName}: fine-tuning", log);
        Assert.Equal(firstTraining, File.GetLastWriteTimeUtc(consumer.AdapterModel));

        // 3. A changed dataset: skipped only when the build says so, then retrained.
        consumer.WriteDataset(ConsumerSources.Dataset + ConsumerSources.ExtraRecord);
        log = consumer.Build("-p:LoraFineTuneOnBuild=false").ShouldSucceed().Output;
        Assert.DoesNotContain($"{ConsumerProject.FineTuneName}: fine-tuning", log);
        Assert.Equal(firstTraining, File.GetLastWriteTimeUtc(consumer.AdapterModel));
        log = consumer.Build().ShouldSucceed().Output;
        Assert.Contains($"{ConsumerProject.FineTuneName}: adapter written to", log);
        Assert.True(File.GetLastWriteTimeUtc(consumer.AdapterModel) > firstTraining, log);

        // 4. A bad record: the build fails with an error at that file and line, and no adapter is left.
        int badLine = ConsumerSources.Dataset.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length + 1;
        consumer.WriteDataset(ConsumerSources.Dataset + "{ this is not json\n");
        var failed = consumer.Build();
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Matches($@"{Regex.Escape(consumer.DatasetPath)}\({badLine}(,\d+)?\): error LORA20\d:", failed.Output);
        Assert.False(File.Exists(consumer.AdapterModel), failed.Output);
        Assert.False(File.Exists(consumer.AdapterConfig), failed.Output);

        // 5. Fixed again: trains; then `dotnet clean` removes what the build produced.
        consumer.WriteDataset(ConsumerSources.Dataset);
        consumer.Build().ShouldSucceed();
        Assert.True(File.Exists(consumer.AdapterModel));
        log = consumer.Clean().ShouldSucceed().Output;
        Assert.False(Directory.Exists(consumer.AdapterDirectory), log);
        // Nor anything the trainer wrote beside it (checkpoints, loss curve).
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(consumer.AdapterDirectory)!));
    }
}
