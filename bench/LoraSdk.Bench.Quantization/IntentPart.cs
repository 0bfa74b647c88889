using System.Text.Json;
using IntentClassifier;

namespace LoraSdk.Bench.Quantization;

/// <summary>One LoRA fine-tuning run of samples/IntentClassifier on the given base (the sample's own code path).</summary>
public static class IntentPart
{
    public static string Run(QuantBenchSettings settings)
    {
        string data = Path.Combine(AppContext.BaseDirectory, "data");
        var train = IntentData.Read(Path.Combine(data, "train.jsonl"));
        var validation = IntentData.Read(Path.Combine(data, "validation.jsonl"));
        if (settings.Tiny) (train, validation) = (train.Take(48).ToList(), validation.Take(32).ToList());
        var fineTune = new FineTuneSettings(Epochs: settings.Tiny ? 1 : settings.Epochs, Threads: settings.Threads, Base: settings.Base);
        var output = Path.Combine(Path.GetTempPath(), $"lorasdk-quant-bench-{Environment.ProcessId}");
        try
        {
            return JsonSerializer.Serialize(FineTuner.Run(TrainingMode.Lora, fineTune, train, validation, output));
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }
}
