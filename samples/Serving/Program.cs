// Serves every adapter folder under ./adapters (or the folder given as the first argument) from one MiniLM classifier:
//   dotnet run --project samples/Serving -- [adapters-folder] [--demo-adapters N] [--self-test]
//   curl -X POST localhost:5000/v1/adapters/<name>/predict -H 'content-type: application/json' -d '{"text":"refund my order"}'
// An adapter folder is what SaveAdapter (or PEFT's save_pretrained) writes for query/value adapters of this encoder.
// --demo-adapters N writes N adapters with random factors first (untrained: they show the plumbing, not accuracy).
using LoraSdk;
using LoraSdk.Models;
using LoraSdk.Serving;
using static TorchSharp.torch;

string[] labels = ["billing", "refund", "other"];
string root = Path.GetFullPath(args.FirstOrDefault(a => !a.StartsWith("--")) ?? "adapters");
int demo = args.SkipWhile(a => a != "--demo-adapters").Skip(1).Select(int.Parse).FirstOrDefault();
bool selfTest = args.Contains("--self-test");
Directory.CreateDirectory(root);

SequenceClassifier NewClassifier()
{
    manual_seed(1); // the head is not part of the adapters: every process must build the same one
    return new SequenceClassifier(MiniLmPackage.LoadEncoder(), labels.Length);
}

if (demo > 0)
{
    using var writer = NewClassifier();
    for (int i = 0; i < demo; i++)
    {
        using (no_grad())
            foreach (var (_, p) in writer.LoraParameters()) p.copy_(randn(p.shape) * 0.02);
        writer.SaveAdapter(Path.Combine(root, $"customer{i}"));
    }
    Console.WriteLine($"Wrote {demo} demo adapters to {root}.");
}

var builder = WebApplication.CreateBuilder(args.Where(a => a.StartsWith("--urls")).ToArray());
builder.Services.AddLoraServing(o =>
{
    o.Store.Root = root;
    o.Store.MaxAdapters = 64;
    o.Batching.Window = TimeSpan.FromMilliseconds(2);
    o.Batching.MaxBatchSize = 32;
    o.UseClassifier(_ => new TextClassifierServable(NewClassifier(), MiniLmPackage.LoadTextEncoder(128), labels));
});
var app = builder.Build();
app.MapLoraEndpoints();

if (!selfTest)
{
    app.Run();
    return;
}

// --self-test: start on a free loopback port, ask every endpoint once, stop.
app.Urls.Add("http://127.0.0.1:0");
await app.StartAsync();
using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
Console.WriteLine($"GET /v1/models → {await client.GetStringAsync("/v1/models")}");
string first = app.Services.GetRequiredService<LoraServer>().Store!.Available().FirstOrDefault() ?? "none";
var response = await client.PostAsync($"/v1/adapters/{first}/predict",
    new StringContent("{\"text\":\"I want my money back\"}", System.Text.Encoding.UTF8, "application/json"));
Console.WriteLine($"POST /v1/adapters/{first}/predict → {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
await app.StopAsync();
