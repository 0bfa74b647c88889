// LoRA variants side by side (issue #27 item 4, docs/benchmarks.md "LoRA variants"). Build once in Release, then:
//   dotnet run -c Release --no-build --project bench/LoraSdk.Bench.Variants -- [--tasks intent,fashion]
//       [--variants lora,loraplus,rslora,dora] [--threads 2] [--rounds 3] [--timing-steps 8]
//       [--intent-epochs 3] [--fashion-epochs 2 --fashion-size 64 --fashion-train-per-class 200 --fashion-validation-per-class 50]
// Each variant first trains the task's whole budget from the same seeded start (accuracy; independent of load), then
// the timing rounds train every variant's model a few steps more, the variants' order rotated each round, so a slow
// spell of the machine falls on all of them alike; the table gives the median step time and the median per-round
// ratio to plain LoRA. A variant this build does not know (UseDoRA before DoRA exists) fails alone, with the reason.
using System.Globalization;
using LoraSdk.Bench.ResNet;
using LoraSdk.Bench.Variants;

var a = new Arguments(args);
int threads = a.Int("threads", 2);
TorchSharp.torch.set_num_threads(threads);
var variants = Variant.Select(a.Text("variants", "lora,loraplus,rslora,dora"));
const long Seed = 7;

foreach (string task in a.Text("tasks", "intent,fashion").Split(',', StringSplitOptions.TrimEntries))
{
    using IVariantTask bench = task switch
    {
        "intent" => new IntentTask(a.Int("intent-epochs", 3), threads, Seed),
        "fashion" => new FashionTask(a.Text("images", FindImages()), a.Int("fashion-size", 64), a.Int("fashion-train-per-class", 200),
            a.Int("fashion-validation-per-class", 50), a.Int("fashion-epochs", 2), Seed),
        _ => throw new ArgumentException($"--tasks: unknown task '{task}' (known: intent, fashion)."),
    };
    Console.WriteLine($"## {bench.Name}: {bench.Budget}; {threads} thread(s)");
    Console.WriteLine();

    var trained = new Dictionary<Variant, AccuracyRun>();
    var failures = new Dictionary<Variant, string>();
    foreach (var variant in variants)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            trained[variant] = bench.Train(variant);
            Console.Error.WriteLine(Invariant($"{variant.Name}: accuracy {trained[variant].Accuracy:P1} after {trained[variant].Steps} steps ({clock.Elapsed.TotalSeconds:F0} s)"));
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or NotSupportedException)
        {
            failures[variant] = e.Message;
            Console.Error.WriteLine($"{variant.Name}: failed: {e.Message}");
        }
    }

    // Interleaved timing: round r runs the variants starting from the r-th, so each takes every position in turn.
    int rounds = a.Int("rounds", 3), steps = a.Int("timing-steps", 8);
    var ok = variants.Where(trained.ContainsKey).ToList();
    var seconds = ok.ToDictionary(v => v, _ => new List<double>());
    for (int round = 0; round < rounds; round++)
        foreach (var variant in ok.Skip(round % Math.Max(1, ok.Count)).Concat(ok.Take(round % Math.Max(1, ok.Count))))
            seconds[variant].Add(bench.SecondsPerStep(variant, steps));

    var baseline = variants.FirstOrDefault(v => v.Id == "lora" && trained.ContainsKey(v));
    Console.WriteLine("| variant | validation accuracy | steps | final training loss | step time (median of rounds) | × LoRA (median of per-round ratios) |");
    Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
    foreach (var variant in variants)
    {
        if (failures.TryGetValue(variant, out var why))
        {
            Console.WriteLine($"| {variant.Name} | failed: {why.Replace("|", "\\|")} | | | | |");
            continue;
        }
        var run = trained[variant];
        string ratio = baseline is null ? "n/a"
            : Invariant($"{Median(seconds[variant].Zip(seconds[baseline], (s, b) => s / b)):F2}×");
        Console.WriteLine(Invariant($"| {variant.Name} | {run.Accuracy:P1} | {run.Steps} | {run.FinalLoss:F4} | {Median(seconds[variant]) * 1000:F0} ms | {ratio} |"));
    }
    Console.WriteLine();
}
return 0;

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

// samples/FashionMnist/images, found from the program's folder upwards (bin/Release/net10.0/<rid>/ in the repository).
static string FindImages()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "samples", "FashionMnist", "images");
        if (Directory.Exists(candidate)) return candidate;
    }
    throw new DirectoryNotFoundException("samples/FashionMnist/images not found above the program's folder: pass --images DIR.");
}
