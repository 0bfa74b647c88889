using System.Globalization;
using LoraSdk;
using LoraSdk.Bench.Quantization;
using TorchSharp;

// float32 vs quantized frozen bases, each measurement in a child process of its own (its own peak RSS), the bases
// interleaved within each round:
//   dotnet bench/LoraSdk.Bench.Quantization/bin/Release/net10.0/linux-x64/LoraSdk.Bench.Quantization.dll [--rounds 3] [--epochs 3] [--steps 5] [--threads 2] [--tiny]
// "intent" trains LoRA on pretrained MiniLM (samples/IntentClassifier: query/value adapted, validation accuracy);
// "encoder" times LoRA training steps on the encoder benchmark's shape with adapters on all six Linears of each layer.
var settings = QuantBenchSettings.Parse(args);
torch.set_num_threads(settings.Threads);
switch (settings.Part)
{
    case null:
        Console.WriteLine(QuantReport.Markdown(settings, QuantComparison.Run(settings)));
        return 0;
    case "intent":
        Console.WriteLine("result: " + IntentPart.Run(settings));
        return 0;
    case "encoder":
        Console.WriteLine("result: " + EncoderPart.Run(settings));
        return 0;
    default:
        Console.Error.WriteLine($"Unknown part '{settings.Part}'; use intent or encoder.");
        return 2;
}
