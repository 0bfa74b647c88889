using System.Text.Json;
using LoraSdk.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LoraSdk.Serving;

/// <summary>
/// The HTTP API (docs/serving.md, "Endpoints"): classifier predictions, OpenAI-compatible completions and chat
/// completions where <c>model</c> names the adapter, the adapter list, health and readiness. Errors are OpenAI-style
/// JSON: <c>{"error": {"message", "type", "param", "code"}}</c> with 400, 404, 422, 429, 503 or 500.
/// </summary>
public static class LoraEndpoints
{
    /// <summary>Maps the serving endpoints (those of the model kind that <c>AddLoraServing</c> configured).</summary>
    public static IEndpointRouteBuilder MapLoraEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var server = app.ServiceProvider.GetRequiredService<LoraServer>();
        var options = app.ServiceProvider.GetRequiredService<LoraServingOptions>();
        app.MapGet("/health/live", () => Results.Ok(new { status = "alive" }));
        app.MapGet("/health/ready", () => server.Ready ? Results.Ok(new { status = "ready" }) : Results.Json(new { status = "not ready" }, statusCode: 503));
        app.MapGet("/v1/models", () => Handle(server, () => Task.FromResult(Results.Json(new
        {
            @object = "list",
            data = Require(server.Store).Available().Select(name => new { id = name, @object = "model", owned_by = "lorasdk" }),
        }))));
        app.MapPost("/v1/adapters/{name}/predict", (string name, HttpRequest request, CancellationToken ct) => Handle(server, async () =>
        {
            var batcher = server.Classifier ?? throw new ServingRequestException(404, "This server serves a decoder: use /v1/completions.");
            var body = await RequestJson.ReadObjectAsync(request, options.MaxRequestBytes, ct);
            var result = await batcher.SubmitAsync(name, RequestJson.RequiredString(body, "text"), ct);
            return Results.Json(new { adapter = name, label = result.Label, probabilities = result.Probabilities });
        }));
        app.MapPost("/v1/completions", (Delegate)((HttpContext context) => Complete(server, options, context, chat: false)));
        app.MapPost("/v1/chat/completions", (Delegate)((HttpContext context) => Complete(server, options, context, chat: true)));
        return app;
    }

    private static Task<IResult> Complete(LoraServer server, LoraServingOptions options, HttpContext context, bool chat) => Handle(server, async () =>
    {
        var batcher = server.Completions ?? throw new ServingRequestException(404, "This server serves a classifier: use /v1/adapters/{name}/predict.");
        var model = server.CausalLMModel!;
        var ct = context.RequestAborted;
        var body = await RequestJson.ReadObjectAsync(context.Request, options.MaxRequestBytes, ct);
        string adapter = RequestJson.RequiredString(body, "model");
        string prompt = chat ? RenderChat(model, body) : RequestJson.RequiredString(body, "prompt");
        double temperature = RequestJson.OptionalDouble(body, "temperature") ?? 0;
        var generation = model.Model.DefaultGenerationOptions with
        {
            MaxNewTokens = RequestJson.OptionalInt(body, "max_tokens") ?? 16,
            DoSample = temperature > 0,
            Temperature = temperature > 0 ? temperature : 1.0,
            TopP = RequestJson.OptionalDouble(body, "top_p") ?? 1.0,
            Seed = RequestJson.OptionalInt(body, "seed"),
            StopStrings = [.. RequestJson.OptionalStrings(body, "stop"), .. chat && model.ChatTemplate is { } t ? t.StopTokens : []],
            AddSpecialTokens = !chat,
        };
        bool stream = RequestJson.OptionalBool(body, "stream");
        var result = await batcher.SubmitAsync(adapter, new CompletionRequest(prompt, generation), ct);
        string id = $"{(chat ? "chatcmpl" : "cmpl")}-{Guid.NewGuid():N}";
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string finish = result.StopReason == StopReason.MaxNewTokens ? "length" : "stop";
        var usage = new { prompt_tokens = result.PromptTokenCount, completion_tokens = result.TokenIds.Count, total_tokens = result.PromptTokenCount + result.TokenIds.Count };
        if (stream) return new ServerSentEvents(Chunks(id, created, adapter, chat, result.Text, finish));
        object choice = chat
            ? new { index = 0, message = new { role = "assistant", content = result.Text }, finish_reason = finish }
            : new { index = 0, text = result.Text, finish_reason = finish };
        return Results.Json(new { id, @object = chat ? "chat.completion" : "text_completion", created, model = adapter, choices = new[] { choice }, usage });
    });

    private static IEnumerable<object> Chunks(string id, long created, string adapter, bool chat, string text, string finish)
    {
        string kind = chat ? "chat.completion.chunk" : "text_completion";
        yield return chat
            ? new { id, @object = kind, created, model = adapter, choices = new[] { new { index = 0, delta = new { role = "assistant", content = text }, finish_reason = (string?)null } } }
            : new { id, @object = kind, created, model = adapter, choices = new[] { new { index = 0, text, finish_reason = (string?)null } } };
        yield return chat
            ? new { id, @object = kind, created, model = adapter, choices = new[] { new { index = 0, delta = new { role = (string?)null, content = (string?)null }, finish_reason = (string?)finish } } }
            : new { id, @object = kind, created, model = adapter, choices = new[] { new { index = 0, text = "", finish_reason = (string?)finish } } };
    }

    private static string RenderChat(CausalLMServable model, JsonElement body)
    {
        var template = model.ChatTemplate ?? throw ServingRequestException.BadField("messages", "this server has no chat template; use /v1/completions.");
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            throw ServingRequestException.BadField("messages", "must be a non-empty array of {role, content}.");
        var list = new List<ChatMessage>();
        int i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object) throw ServingRequestException.BadField($"messages[{i}]", "must be an object.");
            list.Add(new ChatMessage(RequestJson.RequiredString(message, "role"), RequestJson.RequiredString(message, "content")));
            i++;
        }
        var tokenizer = model.Model.Tokenizer!;
        return template.Render(list, addGenerationPrompt: true, tokenizer.BosToken, tokenizer.EosToken);
    }

    private static AdapterStore Require(AdapterStore? store) => store ?? throw new ServerBusyException(stopping: false);

    /// <summary>Runs an endpoint, turning refusals into their status codes with OpenAI-style error bodies, and counts outcomes.</summary>
    private static async Task<IResult> Handle(LoraServer server, Func<Task<IResult>> run)
    {
        try
        {
            var result = await run().ConfigureAwait(false);
            server.Metrics.Request(200);
            return result;
        }
        catch (ServingRequestException e)
        {
            server.Metrics.Request(e.StatusCode);
            return Error(e.StatusCode, e.Message, e.Field);
        }
        catch (OperationCanceledException)
        {
            server.Metrics.Request(499);
            return Results.Empty; // the client went away
        }
        catch (Exception e)
        {
            server.Metrics.Request(500);
            return Error(500, e.Message, null);
        }
    }

    private static IResult Error(int status, string message, string? field)
    {
        string type = status switch { 400 => "invalid_request_error", 404 => "not_found_error", 422 => "adapter_error", 429 => "rate_limit_error", 503 => "unavailable_error", _ => "server_error" };
        return Results.Json(new { error = new { message, type, param = field, code = status } }, statusCode: status);
    }

    /// <summary>OpenAI's streaming format: one <c>data: {json}</c> event per chunk, then <c>data: [DONE]</c>.</summary>
    private sealed class ServerSentEvents(IEnumerable<object> chunks) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            foreach (var chunk in chunks)
            {
                await context.Response.WriteAsync($"data: {JsonSerializer.Serialize(chunk)}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
            await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
        }
    }
}
