using LoraSdk.Hosting;
using LoraSdk.Training.Tests.Models;
using Microsoft.Extensions.Hosting;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>A classifier through the host in this process: CSV data, labels from the data, modules_to_save in the adapter.</summary>
[Collection(nameof(ConsoleCapture))]
public class ClassificationHostTests
{
    [Fact]
    public async Task AClassifierTrainsFromCsvAndSavesItsHead()
    {
        using var folder = new TempFolder();
        var rows = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? $"\"abc, {i}\",early" : $"\"xyz {i}\",late");
        var data = folder.File("intents.csv", "text,label\n" + string.Join('\n', rows) + "\n");
        var output = folder.Combine("classifier");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = folder.Path,
            Args = [$"--LoRA:Dataset={data}", $"--LoRA:Output={output}", "--LoRA:Epochs=2", "--LoRA:ModulesToSave:0=classifier", "--LoRA:ValidationSplit=0.25"],
        });
        int? labelCount = null;
        builder.Services.AddLoraFineTuning(context =>
        {
            labelCount = context.Labels!.Count;
            return new TinyClassifier(context.Lora, context.Labels.Count);
        }, LoraTask.SequenceClassification);
        using var host = builder.Build();
        var outcome = (FineTuningOutcome)host.Services.GetService(typeof(FineTuningOutcome))!;

        Assert.Equal(FineTuningExitCodes.Success, await host.RunLoraFineTuningAsync());
        Assert.Equal(2, labelCount);
        Assert.NotNull(outcome.Result!.BaselineValidationAccuracy);
        Assert.NotNull(outcome.Result.ValidationAccuracy);
        var config = File.ReadAllText(Path.Combine(output, "adapter_config.json"));
        Assert.Contains("\"task_type\": null", config); // SEQ_CLS would promise HF's CLS + pooler head
        Assert.Contains("\"classifier\"", config);
    }
}
