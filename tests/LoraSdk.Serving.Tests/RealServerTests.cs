using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static LoraSdk.Serving.Tests.ServingTestKit;

namespace LoraSdk.Serving.Tests;

/// <summary>
/// The server as a user runs it: Kestrel on loopback, 1,000 adapters on disk (64 in memory), a real HttpClient with
/// 64 concurrent clients sending mixed traffic, corrupt adapters and bad requests among it.
/// </summary>
public sealed class RealServerTests : IAsyncLifetime
{
    // 1,000 adapter folders, but only Distinct different contents (folder i holds content i % Distinct): every folder
    // is its own adapter to the store (loaded, evicted, reloaded), while writing and checking them stays quick.
    private const int AdapterCount = 1000, Distinct = 50, CorruptEvery = 97, Clients = 64, RequestsPerClient = 40;
    private readonly string _root = NewRoot();
    private readonly string[] _texts = ["refund my order", "where is my card", "thanks", "cancel bill help late"];
    private WebApplication? _app;
    private HttpClient? _client;
    private Dictionary<string, double[][]> _expected = [];

    public async Task InitializeAsync()
    {
        WriteAdapters(_root, Enumerable.Range(0, Distinct).Select(Name), seed: 21);
        for (int i = Distinct; i < AdapterCount; i++)
        {
            Directory.CreateDirectory(Path.Combine(_root, Name(i)));
            foreach (var file in Directory.GetFiles(Path.Combine(_root, Name(i % Distinct))))
                File.Copy(file, Path.Combine(_root, Name(i), Path.GetFileName(file)));
        }
        _expected = ExpectedAnswers(); // before some folders are corrupted
        for (int i = 0; i < AdapterCount; i += CorruptEvery)
            File.WriteAllBytes(Path.Combine(_root, Name(i), AdapterModelExtensions.WeightsFileName), [7, 7, 7]);
        _app = StartServer(_root);
        await _app.StartAsync();
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Mixed_traffic_from_64_clients_gets_every_answer_right_and_every_error_its_status()
    {
        var expected = _expected;
        var client = _client!;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        var models = await client.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Equal(AdapterCount, models.GetProperty("data").GetArrayLength());

        long rssWarm = 0;
        await RunTraffic(client, expected, clients: Clients, perClient: 10, adapters: 200);
        rssWarm = Process.GetCurrentProcess().WorkingSet64;
        var clock = Stopwatch.StartNew();
        var outcomes = await RunTraffic(client, expected, Clients, RequestsPerClient, AdapterCount);
        clock.Stop();

        Assert.Equal(Clients * RequestsPerClient, outcomes.Total);
        Assert.True(outcomes.Wrong.Count == 0, string.Join("\n", outcomes.Wrong.Take(10)));
        Assert.True(outcomes.Good > 0 && outcomes.BadRequest > 0 && outcomes.NotFound > 0 && outcomes.Unusable > 0,
            $"traffic lacked a kind: {outcomes.Good} ok, {outcomes.BadRequest} 400, {outcomes.NotFound} 404, {outcomes.Unusable} 422");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"traffic took {clock.Elapsed}");
        var server = _app!.Services.GetRequiredService<LoraServer>();
        Assert.True(server.Store!.LoadedCount <= 64, $"{server.Store.LoadedCount} adapters in memory");
        long rssEnd = Process.GetCurrentProcess().WorkingSet64;
        Assert.True(rssEnd <= rssWarm * 1.25, $"RSS grew from {rssWarm >> 20} MiB to {rssEnd >> 20} MiB while serving 1000 adapters with 64 in memory");
    }

    private static string Name(int i) => $"tenant{i:D4}";

    private static WebApplication StartServer(string root)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddLoraServing(o =>
        {
            o.Store.Root = root;
            o.Store.MaxAdapters = 64;
            o.Batching.Window = TimeSpan.FromMilliseconds(2);
            o.Batching.MaxBatchSize = 32;
            o.MaxRequestBytes = 4096;
            o.UseClassifier(_ => new TextClassifierServable(CreateClassifier(), CreateEncoder(), Labels, maxTextLength: 200));
        });
        var app = builder.Build();
        app.MapLoraEndpoints();
        return app;
    }

    /// <summary>Each content's answers to every text, from one reference model that loads adapters one at a time.</summary>
    private Dictionary<string, double[][]> ExpectedAnswers()
    {
        using var model = CreateClassifier();
        var servable = new TextClassifierServable(model, CreateEncoder(), Labels);
        var byContent = new Dictionary<int, double[][]>();
        for (int i = 0; i < Distinct; i++)
        {
            model.LoadAdapter(Path.Combine(_root, Name(i)), "reference");
            model.SetActiveAdapter("reference");
            byContent[i] = _texts.Select(t => Probabilities(servable.Run([t])[0])).ToArray();
            model.SetActiveAdapter("default");
            model.DeleteAdapter("reference");
        }
        return Enumerable.Range(0, AdapterCount).Where(i => i % CorruptEvery != 0)
            .ToDictionary(Name, i => byContent[i % Distinct], StringComparer.Ordinal);
    }

    private async Task<Outcomes> RunTraffic(HttpClient client, Dictionary<string, double[][]> expected, int clients, int perClient, int adapters)
    {
        var outcomes = new Outcomes();
        await Parallel.ForEachAsync(Enumerable.Range(0, clients), new ParallelOptions { MaxDegreeOfParallelism = clients }, async (c, ct) =>
        {
            var random = new Random(c * 7919 + adapters);
            for (int r = 0; r < perClient; r++)
            {
                int adapter = random.Next(adapters);
                int text = random.Next(_texts.Length);
                int kind = random.Next(20);
                string name = kind == 0 ? $"missing{adapter}" : Name(adapter);
                HttpContent body = kind switch
                {
                    1 => new StringContent("{ \"text\": ", System.Text.Encoding.UTF8, "application/json"),
                    2 => JsonContent.Create(new { text = new string('a', 300) }),
                    3 => JsonContent.Create(new { txt = "refund" }),
                    _ => JsonContent.Create(new { text = _texts[text] }),
                };
                using var response = await client.PostAsync($"/v1/adapters/{name}/predict", body, ct);
                var json = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
                outcomes.Check(name, kind, adapter % CorruptEvery == 0, response.StatusCode, json, expected, text);
            }
        });
        return outcomes;
    }

    private sealed class Outcomes
    {
        public int Total, Good, BadRequest, NotFound, Unusable;
        public readonly List<string> Wrong = [];

        public void Check(string name, int kind, bool corrupt, HttpStatusCode status, JsonElement json, Dictionary<string, double[][]> expected, int text)
        {
            lock (this)
            {
                Total++;
                var want = kind == 0 ? HttpStatusCode.NotFound : kind is 1 or 2 or 3 ? HttpStatusCode.BadRequest : corrupt ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.OK;
                if (status != want) { Wrong.Add($"{name} kind {kind}: {(int)status}, expected {(int)want}: {json}"); return; }
                switch (status)
                {
                    case HttpStatusCode.OK:
                        Good++;
                        var p = Labels.Select(l => json.GetProperty("probabilities").GetProperty(l).GetDouble()).ToArray();
                        double error = MaxDifference(p, expected[name][text]);
                        if (error > 1e-5) Wrong.Add($"{name} text {text}: answer off by {error:E2}");
                        break;
                    case HttpStatusCode.BadRequest:
                        BadRequest++;
                        string field = json.GetProperty("error").GetProperty("param").GetString()!;
                        if (field != (kind == 1 ? "body" : "text")) Wrong.Add($"{name} kind {kind}: 400 names '{field}'");
                        break;
                    case HttpStatusCode.NotFound:
                        NotFound++;
                        if (!json.GetProperty("error").GetProperty("message").GetString()!.Contains(name)) Wrong.Add($"404 without the name: {json}");
                        break;
                    default:
                        Unusable++;
                        if (!json.GetProperty("error").GetProperty("message").GetString()!.Contains(AdapterModelExtensions.WeightsFileName)) Wrong.Add($"422 without the loader's message: {json}");
                        break;
                }
            }
        }
    }
}
