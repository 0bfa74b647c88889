// Runs the trainer for many steps and reports resident memory over the run (goal: growth <= 10 % after warm-up).
//   dotnet run --project bench/LoraSdk.Bench.Memory -c Release [-- --steps 2000 --batch 16 --release-every 50]
// glibc malloc runs with its defaults unless the environment sets MALLOC_* variables (the bench prints them);
// --release-every is TrainerOptions.ReleaseMemoryEvery (malloc_trim at step boundaries, 0 = never).
// --inference runs a long inference loop instead (MiniLM-shaped SequenceClassifier, eval, no grad; goal: flat RSS):
//   ... -- --inference --steps 5000 --batch 8 --length 128 [--window 100]
// --ab-prime [--rounds 4] runs the rest of the command in child processes with glibc's mmap threshold primed (the
// default) and unprimed (LORASDK_MALLOC_PRIME=0), alternating A B B A …, and prints the ratio of ms/step:
//   ... -- --ab-prime --rounds 4 --steps 600 --batch 16
using System.Diagnostics;
using System.Globalization;
using LoraSdk.Bench.Memory;
using LoraSdk.Data;
using LoraSdk.Native;
using LoraSdk.Training;
using QuickStart;

if (args.Contains("--ab-prime")) return PrimingComparison.Run(args, Option("--rounds", 4));

bool inference = args.Contains("--inference");
int steps = Option("--steps", 2000), batch = Option("--batch", inference ? 8 : 32), threads = Option("--threads", 1), window = Option("--window", 100);
int releaseEvery = Option("--release-every", new TrainerOptions().ReleaseMemoryEvery);
TorchSharp.torch.set_num_threads(threads);
var malloc = string.Join(" ", Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("MALLOC_", StringComparison.Ordinal))
    .Order().Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}"));
string environment = string.Create(CultureInfo.InvariantCulture,
    $"{threads} thread(s), malloc environment: {(malloc.Length > 0 ? malloc : "none (glibc defaults)")}, {MallocThreshold.OptOutVariable}={Environment.GetEnvironmentVariable(MallocThreshold.OptOutVariable) ?? "(unset: primed)"}, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
var windows = new RssWindows(window);

if (inference)
{
    int length = Option("--length", 128);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"inference: {steps} forwards, batch {batch}, lengths up to {length}, {environment}"));
    Console.WriteLine("forwards   max RSS MiB");
    double inferenceSeconds = InferenceLoop.Run(steps, batch, length, windows);
    Console.WriteLine(windows.Summary(steps, inferenceSeconds));
    Console.WriteLine(windows.ResultLine(steps, inferenceSeconds, MallocThreshold.Prime()));
    return 0;
}

var corpus = PlainTextReader.Read(Path.Combine(AppContext.BaseDirectory, "train.txt"), TextFileMode.Corpus);
var blocks = DatasetEncoder.EncodeBlocks(corpus, new ByteTokenizer(), TinyByteLm.Context);
var model = new TinyByteLm();
var options = new TrainerOptions
{
    MaxSteps = steps, BatchSize = batch, LearningRate = 1e-2, WarmupSteps = 20, LogEvery = 1, Seed = 1, ReleaseMemoryEvery = releaseEvery,
};
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{steps} steps, batch {batch}x{TinyByteLm.Context}, release every {releaseEvery} steps, {environment}"));
Console.WriteLine("steps      max RSS MiB  loss");
var recorder = new Recorder(windows);
var clock = Stopwatch.StartNew();
new LoraTrainer(model, options).Train(blocks, null, ByteTokenizer.Padding, recorder);
double seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine(windows.Summary(steps, seconds));
// The adapters' constructors primed glibc's threshold unless LORASDK_MALLOC_PRIME=0 (Prime only answers now).
Console.WriteLine(windows.ResultLine(steps, seconds, MallocThreshold.Prime()));
return 0;

int Option(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

internal sealed class Recorder(RssWindows windows) : ITrainingObserver
{
    public void OnStep(StepProgress progress) =>
        windows.Sample(progress.Step, progress.TotalSteps, progress.Loss.ToString("0.000", CultureInfo.InvariantCulture));
}
