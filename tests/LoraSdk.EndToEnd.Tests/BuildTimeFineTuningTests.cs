using System.Text.RegularExpressions;

namespace LoraSdk.EndToEnd.Tests;

/// <summary>
/// `dotnet build` of a fresh consumer of the packed package: trains, skips when up to date, retrains when its
/// dependency file is unreadable and on a data change, fails with a located error on bad data, and `dotnet clean` removes the adapter. One consumer
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
        // ... and copies it to the build output, where the app looks for it.
        string shipped = Path.Combine(consumer.OutputDirectory, "lora", ConsumerProject.FineTuneName, "adapter_model.safetensors");
        Assert.Equal(File.ReadAllBytes(consumer.AdapterModel), File.ReadAllBytes(shipped));
        DateTime firstTraining = File.GetLastWriteTimeUtc(consumer.AdapterModel);

        // 2. Nothing changed: no training, the adapter is untouched; a copy deleted from the output comes back.
        File.Delete(shipped);
        log = consumer.Build().ShouldSucceed().Output;
        Assert.True(File.Exists(shipped), $"an up-to-date build did not copy the adapter to the output again:\n{log}");
        Assert.Contains($"{ConsumerProject.FineTuneName}: adapter is up to date", log);
        Assert.DoesNotContain($"{ConsumerProject.FineTuneName}: fine-tuning", log);
        Assert.Equal(firstTraining, File.GetLastWriteTimeUtc(consumer.AdapterModel));

        // 2b. The program listed what it read (the next build's inputs); an unreadable list retrains, never skips.
        string dependencies = Path.Combine(consumer.Directory, "obj", "lora", ConsumerProject.FineTuneName + ".inputs");
        Assert.Contains(consumer.DatasetPath, File.ReadAllLines(dependencies));
        File.WriteAllText(dependencies, "garbage");
        log = consumer.Build().ShouldSucceed().Output;
        Assert.Contains("fine-tuning again", log);
        Assert.Contains($"{ConsumerProject.FineTuneName}: adapter written to", log);
        Assert.Contains(consumer.DatasetPath, File.ReadAllLines(dependencies));
        firstTraining = File.GetLastWriteTimeUtc(consumer.AdapterModel);

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

        // 5. Fixed again, with the item's Config switched to another file: trains with that file's LoRA
        // section forwarded (BatchSize 2: 6 records, 2 epochs = 6 steps, not 4) over appsettings.json's Dataset.
        consumer.WriteDataset(ConsumerSources.Dataset);
        File.WriteAllText(Path.Combine(consumer.Directory, "tiny.json"), """{ "LoRA": { "BatchSize": 2 } }""");
        log = consumer.Build("-p:TinyConfig=tiny.json").ShouldSucceed().Output;
        Assert.Contains($"{ConsumerProject.FineTuneName}: step 6/6", log);
        Assert.True(File.Exists(consumer.AdapterModel));
        Assert.Equal(File.ReadAllBytes(consumer.AdapterModel), File.ReadAllBytes(shipped)); // the retrained adapter replaced the copy
        // Then `dotnet clean` removes what the build produced, in obj/ and in the output.
        log = consumer.Clean().ShouldSucceed().Output;
        Assert.False(Directory.Exists(consumer.AdapterDirectory), log);
        Assert.False(Directory.Exists(Path.GetDirectoryName(Path.GetDirectoryName(shipped))), $"dotnet clean left the adapter in the output:\n{log}");
        // Nor anything the trainer wrote beside it (checkpoints, loss curve).
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(consumer.AdapterDirectory)!));
    }
}
