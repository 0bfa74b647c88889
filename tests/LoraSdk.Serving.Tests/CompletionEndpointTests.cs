using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using LoraSdk.Models;
using LoraSdk.Models.Tests;
using static LoraSdk.Serving.Tests.CompletionServerKit;

namespace LoraSdk.Serving.Tests;

/// <summary>
/// The OpenAI-compatible <c>/v1/completions</c> and <c>/v1/chat/completions</c> over real HTTP (Kestrel on loopback):
/// <c>model</c> names the adapter, answers equal what the model generates with that adapter alone, streamed or not,
/// the chat endpoint applies the tokenizer's chat template, and refusals get their status codes.
/// </summary>
public sealed class CompletionEndpointTests
{
    private const int MaxTokens = 12;
    private static readonly string[] Adapters = ["acme", "globex", "initech"];
    private static readonly string[] Prompts = ["Hi", "The quick brown fox", "ÿ€ x"];

    [Fact]
    public async Task Answers_streamed_or_not_equal_each_adapters_own_greedy_generation_and_prompts_are_batched_across_adapters()
    {
        using var dir = new TempDirectory();
        string modelFolder = WriteModel(Path.Combine(dir.Path, "model"));
        string root = Directory.CreateDirectory(Path.Combine(dir.Path, "adapters")).FullName;
        WriteAdapters(modelFolder, root, Adapters, seed: 3);

        // Offline: each adapter alone on a fresh model; chat through the tokenizer's own template, stopping at its end of turn.
        var tokenizer = HuggingFaceTokenizer.Load(modelFolder);
        var greedy = new GenerationOptions { MaxNewTokens = MaxTokens };
        var chatGreedy = new GenerationOptions { MaxNewTokens = MaxTokens, AddSpecialTokens = false, EosTokenIds = tokenizer.ChatStopTokenIds() };
        var expected = new Dictionary<(string, string, bool), GenerationResult>();
        foreach (var adapter in Adapters)
            foreach (var prompt in Prompts)
            {
                string rendered = tokenizer.ApplyChatTemplate([new ChatMessage("user", prompt)]);
                Assert.Equal($"<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n", rendered);
                expected[(adapter, prompt, false)] = Offline(modelFolder, Path.Combine(root, adapter), prompt, greedy);
                expected[(adapter, prompt, true)] = Offline(modelFolder, Path.Combine(root, adapter), rendered, chatGreedy);
                Assert.Equal(tokenizer.EncodeChat([new ChatMessage("user", prompt)]).Count, expected[(adapter, prompt, true)].PromptTokenCount);
            }
        foreach (var prompt in Prompts) // the adapters differ, so an answer from the wrong adapter would show
            Assert.Equal(Adapters.Length, Adapters.Select(a => string.Join(',', expected[(a, prompt, false)].TokenIds)).Distinct().Count());

        var (app, client, _) = await StartAsync(modelFolder, root);
        var batchSizes = new List<int>();
        using var listener = ListenToBatchSizes(app.Services.GetService(typeof(IMeterFactory)), batchSizes);
        try
        {
            var requests = (from adapter in Adapters from prompt in Prompts from chat in new[] { false, true } from stream in new[] { false, true }
                            select (adapter, prompt, chat, stream)).ToList();
            var failures = await Task.WhenAll(requests.Select(r => Check(client, r.adapter, r.prompt, r.chat, r.stream, expected[(r.adapter, r.prompt, r.chat)])));
            Assert.True(failures.All(f => f is null), string.Join("\n", failures.Where(f => f is not null)));
        }
        finally
        {
            client.Dispose();
            await app.DisposeAsync();
        }
        lock (batchSizes) Assert.True(batchSizes.Count > 0 && batchSizes.Max() > 1, $"no prompts were batched together: {string.Join(",", batchSizes)}");
    }

    [Fact]
    public async Task A_stream_sends_text_before_the_last_token_is_generated()
    {
        using var dir = new TempDirectory();
        string modelFolder = WriteModel(Path.Combine(dir.Path, "model"));
        string root = Directory.CreateDirectory(Path.Combine(dir.Path, "adapters")).FullName;
        WriteAdapters(modelFolder, root, ["acme"], seed: 4);
        const string prompt = "The quick brown fox";
        var offline = Offline(modelFolder, Path.Combine(root, "acme"), prompt, new GenerationOptions { MaxNewTokens = MaxTokens });
        Assert.Equal(StopReason.MaxNewTokens, offline.StopReason); // so the model does reach its last step

        var (app, client, model) = await StartAsync(modelFolder, root);
        // The model is held inside the step that would generate the last token until the client has seen text:
        // a server that sent the text only once generation ended would never release it.
        using var clientSawText = new ManualResetEventSlim(false);
        using var gate = new StepGate(model, blockAtStep: MaxTokens, release: () => clientSawText.Wait(TimeSpan.FromSeconds(30)));
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = Json(new { model = "acme", prompt, max_tokens = MaxTokens, stream = true }) };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            var (chunks, done) = await ReadEvents(response, chunk => { if (ChunkText(chunk).Length > 0) clientSawText.Set(); });
            Assert.True(done);
            Assert.True(gate.Reached, "the model never reached its last step");
            Assert.True(gate.ReleasedInTime, "no text reached the client while the last token was still to be generated");
            Assert.Equal(offline.Text, string.Concat(chunks.Select(ChunkText)));
            Assert.True(chunks.Count(c => ChunkText(c).Length > 0) > 1, "the text came in one chunk");
            Assert.Equal("length", FinishReason(chunks[^1]));
        }
        finally
        {
            clientSawText.Set();
            client.Dispose();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Unknown_adapters_get_404_and_bad_fields_400_naming_the_field()
    {
        using var dir = new TempDirectory();
        string modelFolder = WriteModel(Path.Combine(dir.Path, "model"));
        string root = Directory.CreateDirectory(Path.Combine(dir.Path, "adapters")).FullName;
        WriteAdapters(modelFolder, root, ["acme"], seed: 5);
        var (app, client, _) = await StartAsync(modelFolder, root, o => o.MaxRequestBytes = 4096);
        try
        {
            foreach (bool stream in new[] { false, true })
            {
                var (status, error) = await Post(client, "/v1/completions", Json(new { model = "nobody", prompt = "Hi", stream }));
                Assert.Equal(HttpStatusCode.NotFound, status);
                Assert.Contains("nobody", error.GetProperty("message").GetString());
                Assert.Equal("model", error.GetProperty("param").GetString());
                (status, error) = await Post(client, "/v1/chat/completions", Json(new { model = "nobody", messages = new[] { new { role = "user", content = "Hi" } }, stream }));
                Assert.Equal(HttpStatusCode.NotFound, status);
            }
            (string Path, HttpContent Body, string Field)[] bad =
            [
                ("/v1/completions", Raw("{ \"model\": "), "body"),
                ("/v1/completions", Raw("[1, 2]"), "body"),
                ("/v1/completions", Json(new { model = "acme", prompt = new string('a', 5000) }), "body"),
                ("/v1/completions", Json(new { prompt = "Hi" }), "model"),
                ("/v1/completions", Json(new { model = 7, prompt = "Hi" }), "model"),
                ("/v1/completions", Json(new { model = "acme" }), "prompt"),
                ("/v1/completions", Json(new { model = "acme", prompt = "Hi", max_tokens = "ten" }), "max_tokens"),
                ("/v1/completions", Json(new { model = "acme", prompt = "Hi", max_tokens = 0 }), "max_tokens"),
                ("/v1/completions", Json(new { model = "acme", prompt = "Hi", max_tokens = 65 }), "max_tokens"),
                ("/v1/completions", Json(new { model = "acme", prompt = "Hi", temperature = -1 }), "temperature"),
                ("/v1/completions", Json(new { model = "acme", prompt = "Hi", top_p = 2 }), "top_p"),
                ("/v1/completions", Json(new { model = "acme", prompt = "Hi", stream = "yes" }), "stream"),
                ("/v1/completions", Json(new { model = "acme", prompt = "Hi", stop = 5 }), "stop"),
                ("/v1/completions", Json(new { model = "acme", prompt = "Hi", stream = true, stream_options = 1 }), "stream_options"),
                ("/v1/chat/completions", Json(new { model = "acme" }), "messages"),
                ("/v1/chat/completions", Json(new { model = "acme", messages = Array.Empty<object>() }), "messages"),
                ("/v1/chat/completions", Json(new { model = "acme", messages = new[] { "Hi" } }), "messages[0]"),
                ("/v1/chat/completions", Json(new { model = "acme", messages = new object[] { new { role = "user", content = "Hi" }, new { role = "user" } } }), "messages[1].content"),
            ];
            foreach (var (path, body, field) in bad)
            {
                var (status, error) = await Post(client, path, body);
                Assert.True(status == HttpStatusCode.BadRequest, $"{path} expecting '{field}': {(int)status} {error}");
                Assert.Equal(field, error.GetProperty("param").GetString());
                Assert.Contains($"'{field}'", error.GetProperty("message").GetString());
            }
            // The server still answers good requests after all of those.
            var (okStatus, _) = await Post(client, "/v1/completions", Json(new { model = "acme", prompt = "Hi", max_tokens = 2 }));
            Assert.Equal(HttpStatusCode.OK, okStatus);
        }
        finally
        {
            client.Dispose();
            await app.DisposeAsync();
        }
    }

    /// <summary>Sends one request and checks its answer against the offline result; returns what is wrong, or null.</summary>
    private static async Task<string?> Check(HttpClient client, string adapter, string prompt, bool chat, bool stream, GenerationResult expected)
    {
        string what = $"{adapter} \"{prompt}\" {(chat ? "chat" : "completion")}{(stream ? " streamed" : "")}";
        object body = chat
            ? new { model = adapter, messages = new[] { new { role = "user", content = prompt } }, max_tokens = MaxTokens, stream }
            : new { model = adapter, prompt, max_tokens = MaxTokens, stream };
        using var request = new HttpRequestMessage(HttpMethod.Post, chat ? "/v1/chat/completions" : "/v1/completions") { Content = Json(body) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK) return $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
        string finish = expected.StopReason == StopReason.MaxNewTokens ? "length" : "stop";
        if (!stream)
        {
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            var choice = json.GetProperty("choices")[0];
            string text = chat ? choice.GetProperty("message").GetProperty("content").GetString()! : choice.GetProperty("text").GetString()!;
            if (json.GetProperty("object").GetString() != (chat ? "chat.completion" : "text_completion")) return $"{what}: object {json.GetProperty("object")}";
            if (json.GetProperty("model").GetString() != adapter) return $"{what}: model {json.GetProperty("model")}";
            if (text != expected.Text) return $"{what}: \"{text}\", expected \"{expected.Text}\"";
            if (choice.GetProperty("finish_reason").GetString() != finish) return $"{what}: finish_reason {choice.GetProperty("finish_reason")}, expected {finish}";
            var usage = json.GetProperty("usage");
            if (usage.GetProperty("completion_tokens").GetInt32() != expected.TokenIds.Count || usage.GetProperty("prompt_tokens").GetInt32() != expected.PromptTokenCount)
                return $"{what}: usage {usage}, expected {expected.PromptTokenCount} + {expected.TokenIds.Count}";
            return null;
        }
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream") return $"{what}: content type {response.Content.Headers.ContentType}";
        var (chunks, done) = await ReadEvents(response);
        if (!done) return $"{what}: no [DONE]";
        if (chunks.Any(c => c.GetProperty("object").GetString() != (chat ? "chat.completion.chunk" : "text_completion") || c.GetProperty("model").GetString() != adapter))
            return $"{what}: a chunk with the wrong object or model";
        if (chunks.Select(c => c.GetProperty("id").GetString()).Distinct().Count() != 1) return $"{what}: chunks with different ids";
        if (chat && chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString() != "assistant") return $"{what}: no role chunk first";
        string streamed = string.Concat(chunks.Select(ChunkText));
        if (streamed != expected.Text) return $"{what}: streamed \"{streamed}\", expected \"{expected.Text}\"";
        if (FinishReason(chunks[^1]) != finish || chunks.Take(chunks.Count - 1).Any(c => FinishReason(c) is not null))
            return $"{what}: finish_reason not only on the last chunk ({FinishReason(chunks[^1])}, expected {finish})";
        return null;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Error)> Post(HttpClient client, string path, HttpContent body)
    {
        using var response = await client.PostAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        var json = JsonDocument.Parse(text).RootElement;
        return (response.StatusCode, json.TryGetProperty("error", out var error) ? error.Clone() : json.Clone());
    }

    /// <summary>Records the batch sizes of the server whose meter factory is <paramref name="factory"/> (tests run in parallel).</summary>
    internal static MeterListener ListenToBatchSizes(object? factory, List<int> sizes)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ServingMetrics.MeterName && instrument.Name == "lorasdk.serving.batch_size" && ReferenceEquals(instrument.Meter.Scope, factory))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => { lock (sizes) sizes.Add(value); });
        listener.Start();
        return listener;
    }
}
