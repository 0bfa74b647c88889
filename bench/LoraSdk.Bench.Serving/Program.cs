// Serving bench: Kestrel on loopback with the MiniLM-shaped classifier (random weights), --adapters adapter folders
// (r = 8 on query/value), --clients concurrent HttpClient loops; prints requests/s and p50/p99 latency per mode. The
// modes run as separate servers in this one process (each with its own copy of the same base), driven in turn for
// --seconds each per round over --rounds interleaved rounds, so a change in machine load hits every mode alike:
//   mixed   each request names a random adapter of the --adapters (store limit --store): per-row batches
//   merged  the same server with one adapter merged into the base (LoraServingOptions.MergedAdapter): the reference
//   single  (optional) every request names adapter 0 on the mixed server's path: one unmerged adapter
// Issue #25's goal: mixed ≥ 0.8× the merged server's throughput.
// Usage: --modes mixed,merged --adapters 100 --store 64 --clients 32 --seconds 10 --rounds 3 --window-ms 2 --threads 2
using System.Diagnostics;
using System.Globalization;
using System.Text;
using LoraSdk;
using LoraSdk.Models;
using LoraSdk.Serving;
using static TorchSharp.torch;

var inv = CultureInfo.InvariantCulture;
string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
int adapters = int.Parse(Arg("--adapters", "100"), inv), clients = int.Parse(Arg("--clients", "32"), inv), store = int.Parse(Arg("--store", "64"), inv);
double seconds = double.Parse(Arg("--seconds", "10"), inv);
int rounds = int.Parse(Arg("--rounds", "3"), inv);
string[] modes = Arg("--modes", "mixed,merged").Split(',');
if (modes.Except(["mixed", "merged", "single"]).FirstOrDefault() is { } unknown) throw new ArgumentException($"--modes: unknown mode '{unknown}' (mixed, merged, single).");
double windowMs = double.Parse(Arg("--window-ms", "2"), inv);
int threads = int.Parse(Arg("--threads", "2"), inv);
set_num_threads(threads);

string[] labels = ["a", "b", "c"];
var config = BertConfig.MiniLmL6 with { HiddenDropout = 0, AttentionDropout = 0 };
SequenceClassifier NewClassifier()
{
    manual_seed(1);
    var model = new SequenceClassifier(config, labels.Length);
    model.eval();
    return model;
}

string root = Directory.CreateTempSubdirectory("lorasdk-bench-serving-").FullName;
using (var writer = NewClassifier())
{
    for (int i = 0; i < adapters; i++)
    {
        using (no_grad()) foreach (var (_, p) in writer.LoraParameters()) p.copy_(randn(p.shape) * 0.02);
        writer.SaveAdapter(Path.Combine(root, $"a{i}"));
    }
}
var encoder = MiniLmPackage.LoadTextEncoder(64);

async Task<(WebApplication App, HttpClient Client)> Start(string? merged)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.WebHost.UseUrls("http://127.0.0.1:0");
    builder.Logging.ClearProviders();
    builder.Services.AddLoraServing(o =>
    {
        o.Store.Root = root;
        o.Store.MaxAdapters = store;
        o.MergedAdapter = merged;
        o.Batching.Window = TimeSpan.FromMilliseconds(windowMs);
        o.Batching.MaxBatchSize = 32;
        o.Batching.QueueLimit = 100_000;
        o.UseClassifier(_ => new TextClassifierServable(NewClassifier(), encoder, labels));
    });
    var app = builder.Build();
    app.MapLoraEndpoints();
    await app.StartAsync();
    return (app, new HttpClient { BaseAddress = new Uri(app.Urls.First()) });
}

var mixedServer = modes.Any(m => m != "merged") ? await Start(merged: null) : default;
var mergedServer = modes.Contains("merged") ? await Start(merged: "a0") : default;
string[] texts = ["I want a refund for my last order", "my card was charged twice this month", "how do I change the delivery address", "thanks, that solved it"];

async Task<List<double>> Drive(string mode, TimeSpan duration)
{
    var client = mode == "merged" ? mergedServer.Client! : mixedServer.Client!;
    var latencies = new List<double>();
    var stop = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, clients), new ParallelOptions { MaxDegreeOfParallelism = clients }, async (c, ct) =>
    {
        var random = new Random(c);
        while (stop.Elapsed < duration)
        {
            string name = mode == "mixed" ? $"a{random.Next(adapters)}" : "a0";
            var body = new StringContent($"{{\"text\":\"{texts[random.Next(texts.Length)]}\"}}", Encoding.UTF8, "application/json");
            long start = Stopwatch.GetTimestamp();
            using var response = await client.PostAsync($"/v1/adapters/{name}/predict", body, ct);
            response.EnsureSuccessStatusCode();
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            lock (latencies) latencies.Add(ms);
        }
    });
    return latencies;
}

foreach (var mode in modes) await Drive(mode, TimeSpan.FromSeconds(Math.Min(5, seconds / 2))); // warm-up: loads adapters, JIT
var measured = modes.ToDictionary(m => m, _ => new List<double>());
for (int round = 0; round < rounds; round++)
    foreach (var mode in modes) measured[mode].AddRange(await Drive(mode, TimeSpan.FromSeconds(seconds)));

Console.WriteLine(string.Create(inv, $"{adapters} adapters (store {store}), {clients} clients, window {windowMs} ms, {threads} threads; {rounds} interleaved rounds of {seconds} s per mode"));
Console.WriteLine("| mode | requests/s | p50 ms | p99 ms | requests |");
Console.WriteLine("| --- | --- | --- | --- | --- |");
var throughput = new Dictionary<string, double>();
foreach (var mode in modes)
{
    var all = measured[mode];
    all.Sort();
    double Percentile(double p) => all[Math.Min(all.Count - 1, (int)(p * all.Count))];
    throughput[mode] = all.Count / (seconds * rounds);
    Console.WriteLine(string.Create(inv, $"| {mode} | {throughput[mode]:F1} | {Percentile(0.50):F1} | {Percentile(0.99):F1} | {all.Count} |"));
}
if (throughput.ContainsKey("mixed") && throughput.ContainsKey("merged"))
    Console.WriteLine(string.Create(inv, $"mixed / merged throughput: {throughput["mixed"] / throughput["merged"]:F2} (goal ≥ 0.8)"));

foreach (var server in new[] { mixedServer, mergedServer }.Where(s => s.App is not null))
{
    server.Client.Dispose();
    await server.App.StopAsync();
}
Directory.Delete(root, recursive: true);
