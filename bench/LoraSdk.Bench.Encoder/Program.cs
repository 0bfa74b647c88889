using System.Text.Json;
using LoraSdk.Bench.Encoder;
using static TorchSharp.torch;

// One command compares PyTorch, a hand-written TorchSharp LoRA and the SDK's generated LoRA on the same encoder:
//   dotnet bench/LoraSdk.Bench.Encoder/bin/Release/net10.0/linux-x64/LoraSdk.Bench.Encoder.dll [--rounds 3 --threads 2 --steps 5 --warmup 2 --runs 5]
// (from the repository root; --no-pytorch skips PyTorch, --tiny runs tiny sizes to check that everything works).
// Every measurement runs in a child process of its own (so each peak RSS is one mode's), and the rounds interleave
// the implementations, so drift in machine load hits each alike. A part name runs one child's part directly.
var settings = BenchSettings.Parse(args);
var shape = settings.Tiny ? BenchShape.Tiny : new BenchShape();
set_num_threads(settings.Threads);

switch (settings.Part)
{
    case null:
        var results = Comparison.Run(settings);
        Console.WriteLine(Report.Markdown(shape, settings, results));
        return 0;
    case "train-lora":
    case "train-full":
        Emit(TrainStepBench.Run(shape, EncoderVariant.Create(settings.Implementation, allLinears: false, shape), settings.Part == "train-lora", settings.Warmup, settings.Steps));
        return 0;
    case "train-dora":
        // The SDK's model with DoRA on the same targets (issue 27: a DoRA step ≤ 1.3× a LoRA step), measured beside train-lora.
        Emit(TrainStepBench.Run(shape, EncoderVariant.Create(settings.Implementation, allLinears: false, shape, dora: true), lora: true, settings.Warmup, settings.Steps,
            mode: $"DoRA r={shape.LoraRank} (query, value) + head"));
        return 0;
    case "inference":
    case "inference-all":
        Emit(InferenceBench.Run(shape, EncoderVariant.Create(settings.Implementation, settings.Part == "inference-all", shape), rounds: 3, settings.Warmup, settings.Runs));
        return 0;
    case "base-forward":
        Emit(BaseForwardBench.Run(shape, settings.Warmup, settings.Runs));
        return 0;
    default:
        Console.Error.WriteLine($"Unknown part '{settings.Part}'; use {string.Join(", ", Comparison.Parts)}.");
        return 2;
}

static void Emit<T>(T result) => Console.WriteLine("result: " + JsonSerializer.Serialize(result));
