using LoraSdk.Hosting;
using LoraSdk.Shared;
using Microsoft.Extensions.Configuration;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>The files a run lists for the build's next up-to-date check (src/Shared/FineTuneContract.cs, DependencyFile).</summary>
public class DependencyFileTests
{
    [Fact]
    public void ListsTheConfigFilesDataVocabularyAndBaseModelFilesThatExistAndNothingTrainingWrites()
    {
        using var folder = new TempFolder();
        Put(folder, "appsettings.json", "{}");
        Put(folder, "data/train.jsonl", "{}");
        Put(folder, "weights/model.safetensors", "w");
        Put(folder, "weights/nested/vocab.txt", "v");
        Put(folder, "out/adapter/adapter_config.json", "{}");
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(folder.Path, "appsettings.json"))
            .AddJsonFile(Path.Combine(folder.Path, "appsettings.Production.json"), optional: true)
            .AddCommandLine(["--LoRA:Rank=4"])
            .Build();
        var options = new LoraFineTuningOptions
        {
            Dataset = "data/train.jsonl",
            ValidationDataset = "data/missing.jsonl",
            Tokenizer = TokenizerKind.WordPiece,
            VocabularyFile = "weights/nested/vocab.txt",
            BaseModel = "weights",
            Output = "out/adapter",
        };

        var files = DependencyFileWriter.FilesRead(configuration, options, folder.Path);

        Assert.Equal(
            new[] { "appsettings.json", "data/train.jsonl", "weights/", "weights/nested/vocab.txt" }.Select(f => folder.Combine(f)),
            files);
    }

    [Fact]
    public void ABaseModelThatIsTheProjectFolderOrAHubNameAddsNothing()
    {
        using var folder = new TempFolder();
        Put(folder, "notes.txt", "x");
        var configuration = new ConfigurationBuilder().Build();

        Assert.Empty(DependencyFileWriter.FilesRead(configuration, new LoraFineTuningOptions { BaseModel = "." }, folder.Path));
        Assert.Empty(DependencyFileWriter.FilesRead(configuration, new LoraFineTuningOptions { BaseModel = "bert-base-uncased" }, folder.Path));
    }

    [Fact]
    public void WritesTheFileOnlyWhenTheBuildAsksAndInTheContractsFormat()
    {
        using var folder = new TempFolder();
        Put(folder, "data/train.jsonl", "{}");
        var options = new LoraFineTuningOptions { Dataset = "data/train.jsonl" };

        DependencyFileWriter.WriteIfRequested(new ConfigurationBuilder().Build(), options, folder.Path);
        Assert.Empty(Directory.GetFiles(folder.Path, "*.inputs", SearchOption.AllDirectories));

        var requested = new ConfigurationBuilder().AddCommandLine([$"--{FineTuneContract.DependencyFileKey}=obj/lora/x.inputs"]).Build();
        DependencyFileWriter.WriteIfRequested(requested, options, folder.Path);
        string written = File.ReadAllText(folder.Combine("obj/lora/x.inputs"));
        Assert.Equal([folder.Combine("data/train.jsonl")], FineTuneContract.DependencyFile.Parse(written));
        Assert.Single(Directory.GetFiles(folder.Combine("obj/lora"))); // no staging file left behind
    }

    private static void Put(TempFolder folder, string relative, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(folder.Combine(relative))!);
        File.WriteAllText(folder.Combine(relative), text);
    }
}
