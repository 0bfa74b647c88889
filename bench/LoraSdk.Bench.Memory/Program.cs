// Runs the trainer for many steps and reports resident memory at step 100 and at the end (goal: growth <= 10 %).
//   dotnet run --project bench/LoraSdk.Bench.Memory -c Release [-- --steps 2000 --batch 32 --no-malloc-tuning]
// Without --no-malloc-tuning the process sets glibc's mmap threshold at start-up, as the hosting does.
using System.Diagnostics;
using System.Globalization;
using LoraSdk.Bench.Memory;
using LoraSdk.Data;
using LoraSdk.Native;
using LoraSdk.Training;
using QuickStart;

int steps = Option("--steps", 2000), batch = Option("--batch", 32), threads = Option("--threads", 1);
bool tune = !args.Contains("--no-malloc-tuning");
bool tuned = tune && MallocTuning.Apply();
TorchSharp.torch.set_num_threads(threads);

var corpus = PlainTextReader.Read(Path.Combine(AppContext.BaseDirectory, "train.txt"), TextFileMode.Corpus);
var blocks = DatasetEncoder.EncodeBlocks(corpus, new ByteTokenizer(), TinyByteLm.Context);
var model = new TinyByteLm();
var options = new TrainerOptions { MaxSteps = steps, BatchSize = batch, LearningRate = 1e-2, WarmupSteps = 20, LogEvery = 100, Seed = 1 };
var recorder = new Recorder();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{steps} steps, batch {batch}x{TinyByteLm.Context}, {threads} thread(s), malloc tuning {(tuned ? "on" : "off")} (MALLOC_MMAP_THRESHOLD_={Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") ?? "unset"})"));
Console.WriteLine("step  RSS MiB  loss");
var clock = Stopwatch.StartNew();
new LoraTrainer(model, options).Train(blocks, null, ByteTokenizer.Padding, recorder);
double at100 = recorder.Rss[100], atEnd = recorder.Rss[steps];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"RSS at step 100: {at100:0.0} MiB, at step {steps}: {atEnd:0.0} MiB, growth {100 * (atEnd - at100) / at100:+0.0;-0.0} % ({clock.Elapsed.TotalSeconds:0} s)"));

int Option(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

internal sealed class Recorder : ITrainingObserver
{
    public Dictionary<int, double> Rss { get; } = [];

    public void OnStep(StepProgress progress)
    {
        double rss = ResidentMemory.Mebibytes();
        Rss[progress.Step] = rss;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{progress.Step,4}  {rss,7:0.0}  {progress.Loss:0.000}"));
    }
}
