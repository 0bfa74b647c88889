using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraSdk.Models;
using LoraSdk.Models.Tests.Decoder;
using LoraSdk.Models.Tests.Integration;
using LoraSdk.Models.Tests.Tokenization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Serving.Tests;

/// <summary>
/// A tiny random Llama-style CausalLM written as a HuggingFace folder (the Models tests' writers) with a byte-level
/// tokenizer that has ChatML's &lt;|im_start|&gt; / &lt;|im_end|&gt; tokens and chat_template, adapter folders for it,
/// and a Kestrel server on loopback serving it through <c>UseCausalLM</c>.
/// </summary>
internal static class CompletionServerKit
{
    public const int ImStart = TinyByteTokenizerFolder.Vocab, ImEnd = TinyByteTokenizerFolder.Vocab + 1;

    private const string ChatMLJinja = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /// <summary>Writes the model folder (seeded weights) and returns it.</summary>
    public static string WriteModel(string folder, int seed = 5)
    {
        var spec = new TinyDecoderSpec { Vocab = ImEnd + 1, Hidden = 32, Intermediate = 48, Heads = 4, KvHeads = 2 };
        using (NewDisposeScope()) spec.WriteFolder(folder, spec.RandomWeights(seed));
        TinyByteTokenizerFolder.Write(folder);
        string tokenizerPath = Path.Combine(folder, "tokenizer.json");
        var tokenizer = JsonNode.Parse(File.ReadAllText(tokenizerPath))!;
        tokenizer["added_tokens"]!.AsArray().Add(TokenizerFolders.Added(ImStart, "<|im_start|>", special: true));
        tokenizer["added_tokens"]!.AsArray().Add(TokenizerFolders.Added(ImEnd, "<|im_end|>", special: true));
        tokenizer["model"]!["vocab"]!["<|im_start|>"] = ImStart;
        tokenizer["model"]!["vocab"]!["<|im_end|>"] = ImEnd;
        File.WriteAllText(tokenizerPath, tokenizer.ToJsonString());
        string configPath = Path.Combine(folder, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["chat_template"] = ChatMLJinja;
        File.WriteAllText(configPath, config.ToJsonString());
        return folder;
    }

    /// <summary>Writes adapter folders <c>root/name</c> for the model in <paramref name="modelFolder"/>, each with its own random factors.</summary>
    public static void WriteAdapters(string modelFolder, string root, IReadOnlyList<string> names, int seed)
    {
        using var writer = CausalLM.Load(modelFolder);
        for (int i = 0; i < names.Count; i++)
        {
            var generator = new Generator((ulong)(seed * 1009 + i));
            using (no_grad())
                foreach (var (_, p) in writer.LoraParameters()) p.copy_(randn(p.shape, generator: generator) * 0.3);
            writer.SaveAdapter(Path.Combine(root, names[i]));
        }
    }

    /// <summary>What the model generates with the adapter in <paramref name="adapterFolder"/> alone, on a fresh model.</summary>
    public static GenerationResult Offline(string modelFolder, string adapterFolder, string prompt, GenerationOptions options)
    {
        using var model = CausalLM.Load(modelFolder);
        model.LoadAdapter(adapterFolder, "offline");
        model.SetActiveAdapter("offline");
        return model.Generate(prompt, options);
    }

    /// <summary>A started server and a client for it.</summary>
    public static async Task<(WebApplication App, HttpClient Client, CausalLM Model)> StartAsync(string modelFolder, string adapterRoot,
        Action<LoraServingOptions>? configure = null, Action<WebApplication>? middleware = null)
    {
        var model = CausalLM.Load(modelFolder);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddLoraServing(o =>
        {
            o.Store.Root = adapterRoot;
            o.Batching.Window = TimeSpan.FromMilliseconds(20);
            configure?.Invoke(o);
            o.UseCausalLM(_ => new CausalLMServable(model, maxNewTokens: 64));
        });
        var app = builder.Build();
        middleware?.Invoke(app);
        app.MapLoraEndpoints();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) }, model);
    }

    public static HttpContent Json(object body) => JsonContent.Create(body);

    public static HttpContent Raw(string body) => new StringContent(body, Encoding.UTF8, "application/json");

    /// <summary>A streamed answer: the data of every event, in order, up to and without <c>[DONE]</c>; and whether <c>[DONE]</c> came.</summary>
    public static async Task<(List<JsonElement> Chunks, bool Done)> ReadEvents(HttpResponseMessage response, Action<JsonElement>? onChunk = null)
    {
        var chunks = new List<JsonElement>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0) continue;
            Assert.StartsWith("data: ", line);
            string data = line["data: ".Length..];
            if (data == "[DONE]") return (chunks, true);
            var chunk = JsonDocument.Parse(data).RootElement.Clone();
            chunks.Add(chunk);
            onChunk?.Invoke(chunk);
        }
        return (chunks, false);
    }

    /// <summary>The text a chunk carries: <c>choices[0].text</c> (completions) or <c>choices[0].delta.content</c> (chat).</summary>
    public static string ChunkText(JsonElement chunk)
    {
        var choices = chunk.GetProperty("choices");
        if (choices.GetArrayLength() == 0) return "";
        var choice = choices[0];
        if (choice.TryGetProperty("text", out var text)) return text.GetString()!;
        return choice.GetProperty("delta").TryGetProperty("content", out var content) ? content.GetString()! : "";
    }

    public static string? FinishReason(JsonElement chunk)
    {
        var choices = chunk.GetProperty("choices");
        return choices.GetArrayLength() == 0 ? null : choices[0].GetProperty("finish_reason").GetString();
    }
}
