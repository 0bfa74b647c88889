using System.Text.Json;
using LoraSdk.Bench.Decoder;
using static TorchSharp.torch;

// SmolLM2-135M-shaped decoder, random weights. From the repository root, after a Release build:
//   dotnet bench/LoraSdk.Bench.Decoder/bin/Release/net10.0/linux-x64/LoraSdk.Bench.Decoder.dll <part> [--tiny] [--threads 2] [--warmup 2] [--steps 5]
//   [--length 1024 --batch 1] [--checkpointing]: another sequence shape, and gradient checkpointing (CausalLM.GradientCheckpointing).
//   [--own-thread]: train-lora/train-full on a thread of their own, as the hosted trainer runs (glibc gives it an arena of
//   its own, which cannot keep blocks above 64 MiB: see LargeBlockRetention).
// Parts: train-lora, train-full (one step time each; run each in its own process so each peak RSS is its own),
//        checkpoint-rss [--length 1024] [--batch 1] (issue 26's memory goal: train-lora without and with --checkpointing, each
//        in a child process of its own, peak RSS of each and their ratio vs the goal ≤ 0.5; default 1 warm-up step and 1 step),
//        write-folder <dir> (a sharded BF16 HF folder of the shape), nf4-load <dir> (load it with Base = Nf4: peak RSS vs goal),
//        generate [<dir>] [--new-tokens 128] [--rounds 5] (batch-1 greedy decode tokens/s: LoraSdk base / unmerged / merged
//        vs llama.cpp on the F32 GGUF ExportGguf writes, interleaved rounds; <dir> holds the HF folder and the GGUF).
// The PyTorch twin: . "$(/work/shared/tools/pytorch-env.sh)" && python3 bench/LoraSdk.Bench.Decoder/pytorch_twin.py train-lora
// (same shapes, token formula, loss and optimizer). Measure alone, never beside other jobs.
string? part = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var shape = args.Contains("--tiny") ? BenchShape.Tiny : BenchShape.SmolLm2;
if (Option("--length") is { } length) shape = shape with { Length = int.Parse(length) };
if (Option("--batch") is { } batch) shape = shape with { Batch = int.Parse(batch) };
set_num_threads(int.Parse(Option("--threads") ?? "2"));
int warmup = int.Parse(Option("--warmup") ?? "2"), steps = int.Parse(Option("--steps") ?? "5");
string folder = args.SkipWhile(a => a != part).Skip(1).FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "decoder-bench-model";

switch (part)
{
    case "train-lora":
    case "train-full":
    {
        TrainStep.Result? result = null;
        void Train() => result = TrainStep.Run(shape, part == "train-lora", warmup, steps, args.Contains("--checkpointing"));
        if (args.Contains("--own-thread"))
        {
            var thread = new Thread(Train, maxStackSize: 16 << 20);
            thread.Start();
            thread.Join();
        }
        else Train();
        Emit(result!);
    }
        return 0;
    case "checkpoint-rss":
    {
        // Activations dominate at one long sequence: batch 1 × 1,024 unless the options say otherwise.
        var longShape = shape with { Length = int.Parse(Option("--length") ?? "1024"), Batch = int.Parse(Option("--batch") ?? "1") };
        string[] passOn = [.. (args.Contains("--tiny") ? new[] { "--tiny" } : []), "--threads", Option("--threads") ?? "2"];
        Emit(CheckpointRss.Run(longShape, passOn, int.Parse(Option("--warmup") ?? "1"), int.Parse(Option("--steps") ?? "1")));
        return 0;
    }
    case "write-folder":
        Nf4Load.WriteFolder(shape, folder, shardBytes: shape == BenchShape.Tiny ? 100_000 : 100_000_000);
        Console.WriteLine($"wrote {folder}");
        return 0;
    case "nf4-load":
        Emit(Nf4Load.Run(folder));
        return 0;
    case "generate":
        Directory.CreateDirectory(folder);
        Emit(GenerateSpeed.Run(shape, folder, int.Parse(Option("--threads") ?? "2"), warmup, int.Parse(Option("--rounds") ?? "5"), int.Parse(Option("--new-tokens") ?? "128")));
        return 0;
    default:
        Console.Error.WriteLine("Parts: train-lora, train-full, checkpoint-rss, write-folder <dir>, nf4-load <dir>, generate [<dir>] (add --tiny to check that a part runs).");
        return 2;
}

static void Emit<T>(T result) => Console.WriteLine("result: " + JsonSerializer.Serialize(result));
