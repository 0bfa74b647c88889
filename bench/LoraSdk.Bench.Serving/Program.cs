// Serving bench: Kestrel on loopback with the MiniLM-shaped classifier (random weights), --adapters adapter folders
// (r = 8 on query/value), --clients concurrent HttpClient loops for --seconds; prints requests/s and p50/p99 latency.
//   --mode mixed   each request names a random adapter of the --adapters (store limit --store)
//   --mode single  every request names adapter 0 (the same server path with one adapter: the reference)
using System.Diagnostics;
using System.Text;
using LoraSdk;
using LoraSdk.Models;
using LoraSdk.Serving;
using static TorchSharp.torch;

string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
int adapters = int.Parse(Arg("--adapters", "100")), clients = int.Parse(Arg("--clients", "32")), store = int.Parse(Arg("--store", "64"));
double seconds = double.Parse(Arg("--seconds", "20"), System.Globalization.CultureInfo.InvariantCulture);
string mode = Arg("--mode", "mixed");
double windowMs = double.Parse(Arg("--window-ms", "2"), System.Globalization.CultureInfo.InvariantCulture);
int threads = int.Parse(Arg("--threads", "2"));
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

var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.ClearProviders();
builder.Services.AddLoraServing(o =>
{
    o.Store.Root = root;
    o.Store.MaxAdapters = store;
    o.Batching.Window = TimeSpan.FromMilliseconds(windowMs);
    o.Batching.MaxBatchSize = 32;
    o.Batching.QueueLimit = 100_000;
    o.UseClassifier(_ => new TextClassifierServable(NewClassifier(), MiniLmPackage.LoadTextEncoder(64), labels));
});
var app = builder.Build();
app.MapLoraEndpoints();
await app.StartAsync();
using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
string[] texts = ["I want a refund for my last order", "my card was charged twice this month", "how do I change the delivery address", "thanks, that solved it"];

async Task<List<double>> Drive(TimeSpan duration)
{
    var latencies = new List<double>();
    var stop = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, clients), new ParallelOptions { MaxDegreeOfParallelism = clients }, async (c, ct) =>
    {
        var random = new Random(c);
        while (stop.Elapsed < duration)
        {
            string name = mode == "single" ? "a0" : $"a{random.Next(adapters)}";
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

await Drive(TimeSpan.FromSeconds(Math.Min(5, seconds / 4))); // warm-up: loads adapters, JIT
var measured = await Drive(TimeSpan.FromSeconds(seconds));
measured.Sort();
double Percentile(double p) => measured[Math.Min(measured.Count - 1, (int)(p * measured.Count))];
Console.WriteLine($"mode {mode}, {adapters} adapters (store {store}), {clients} clients, window {windowMs} ms, {threads} threads");
Console.WriteLine($"requests/s {measured.Count / seconds:F1}  p50 {Percentile(0.50):F1} ms  p99 {Percentile(0.99):F1} ms  ({measured.Count} requests)");
await app.StopAsync();
Directory.Delete(root, recursive: true);
