// Runs the trainer for many steps and reports resident memory over the run (goal: growth <= 10 % after warm-up).
//   dotnet run --project bench/LoraSdk.Bench.Memory -c Release [-- --steps 2000 --batch 16 --release-every 50]
// glibc malloc runs with its defaults unless the environment sets MALLOC_* variables (the bench prints them);
// --release-every is TrainerOptions.ReleaseMemoryEvery (malloc_trim at step boundaries, 0 = never).
using System.Diagnostics;
using System.Globalization;
using LoraSdk.Bench.Memory;
using LoraSdk.Data;
using LoraSdk.Training;
using QuickStart;

int steps = Option("--steps", 2000), batch = Option("--batch", 32), threads = Option("--threads", 1);
int releaseEvery = Option("--release-every", new TrainerOptions().ReleaseMemoryEvery);
TorchSharp.torch.set_num_threads(threads);

var corpus = PlainTextReader.Read(Path.Combine(AppContext.BaseDirectory, "train.txt"), TextFileMode.Corpus);
var blocks = DatasetEncoder.EncodeBlocks(corpus, new ByteTokenizer(), TinyByteLm.Context);
var model = new TinyByteLm();
var options = new TrainerOptions
{
    MaxSteps = steps, BatchSize = batch, LearningRate = 1e-2, WarmupSteps = 20, LogEvery = 1, Seed = 1, ReleaseMemoryEvery = releaseEvery,
};
var malloc = string.Join(" ", Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("MALLOC_", StringComparison.Ordinal))
    .Order().Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{steps} steps, batch {batch}x{TinyByteLm.Context}, {threads} thread(s), release every {releaseEvery} steps, malloc environment: {(malloc.Length > 0 ? malloc : "none (glibc defaults)")}, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
Console.WriteLine("steps      max RSS MiB  loss");
var recorder = new Recorder(window: 100);
var clock = Stopwatch.StartNew();
new LoraTrainer(model, options).Train(blocks, null, ByteTokenizer.Padding, recorder);
double seconds = clock.Elapsed.TotalSeconds;
// RSS is sampled after every step; each window's maximum counts, so a sample just after a trim flatters nothing.
double first = recorder.WindowMax[100], last = recorder.WindowMax[steps];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"max RSS in steps 1-100: {first:0.0} MiB, in the last 100 steps: {last:0.0} MiB, growth {100 * (last - first) / first:+0.0;-0.0} %, peak RSS (VmHWM) {ResidentMemory.PeakMebibytes():0.0} MiB, {seconds:0.0} s ({1000 * seconds / steps:0.0} ms/step)"));

int Option(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

internal sealed class Recorder(int window) : ITrainingObserver
{
    private double _max;

    /// <summary>The largest RSS sampled in each window of steps, keyed by the window's last step.</summary>
    public Dictionary<int, double> WindowMax { get; } = [];

    public void OnStep(StepProgress progress)
    {
        _max = Math.Max(_max, ResidentMemory.Mebibytes());
        if (progress.Step % window != 0 && progress.Step != progress.TotalSteps) return;
        WindowMax[progress.Step] = _max;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{progress.Step - window + 1,4}-{progress.Step,-4}  {_max,9:0.0}  {progress.Loss:0.000}"));
        _max = 0;
    }
}
