using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LoraSdk.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static LoraSdk.Serving.Tests.ServingTestKit;

namespace LoraSdk.Serving.Tests;

/// <summary><c>LoraServingOptions.MergedAdapter</c>: one adapter folded into the base, served with no per-row scope; others 404.</summary>
public sealed class MergedAdapterServingTests : IDisposable
{
    private readonly string _root = NewRoot();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task The_merged_adapter_answers_as_it_does_unmerged_and_no_other_adapter_is_served()
    {
        WriteAdapters(_root, ["acme", "globex"], seed: 31);
        string[] texts = ["refund my order", "where is my card"];
        var expected = Offline(Path.Combine(_root, "acme"), texts);
        var other = Offline(Path.Combine(_root, "globex"), texts);
        Assert.True(MaxDifference(expected[0], other[0]) > 1e-3); // the adapters differ: the wrong one would show

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        SequenceClassifier? served = null;
        builder.Services.AddLoraServing(o =>
        {
            o.Store.Root = _root;
            o.MergedAdapter = "acme";
            o.UseClassifier(_ => new TextClassifierServable(served = CreateClassifier(), CreateEncoder(), Labels));
        });
        await using var app = builder.Build();
        app.MapLoraEndpoints();
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        Assert.True(served!.ActiveLoraAdapters().All(a => a.Adapter.IsMerged), "the adapter was not merged into the base");
        var models = await client.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Equal(["acme"], models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using var response = await client.PostAsJsonAsync("/v1/adapters/acme/predict", new { text = texts[i % 2] });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var json = await response.Content.ReadFromJsonAsync<JsonElement>();
            return (i % 2, Labels.Select(l => json.GetProperty("probabilities").GetProperty(l).GetDouble()).ToArray());
        }));
        Assert.All(answers, a => Assert.True(MaxDifference(a.Item2, expected[a.Item1]) < 1e-5, $"off by {MaxDifference(a.Item2, expected[a.Item1]):E2}"));
        using var otherResponse = await client.PostAsJsonAsync("/v1/adapters/globex/predict", new { text = texts[0] });
        Assert.Equal(HttpStatusCode.NotFound, otherResponse.StatusCode);
        Assert.Contains("globex", await otherResponse.Content.ReadAsStringAsync());
        await app.StopAsync();
    }
}
