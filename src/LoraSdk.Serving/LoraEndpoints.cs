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
        app.MapGet("/v1/models", () => Handle(server, () =>
        {
            if (server.Store is null) throw new ServerBusyException(stopping: false); // not started yet
            var data = server.ServedAdapters().Select(name => new { id = name, @object = "model", owned_by = "lorasdk" });
            return Task.FromResult(Results.Json(new { @object = "list", data }));
        }));
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
        if (!(temperature >= 0) || double.IsInfinity(temperature)) throw ServingRequestException.BadField("temperature", "must be a finite number ≥ 0 (0: greedy).");
        var generation = model.Model.DefaultGenerationOptions with
        {
            MaxNewTokens = RequestJson.OptionalInt(body, "max_tokens") ?? 16,
            DoSample = temperature > 0,
            Temperature = temperature > 0 ? temperature : 1.0,
            TopP = RequestJson.OptionalDouble(body, "top_p") ?? 1.0,
            Seed = RequestJson.OptionalInt(body, "seed"),
            StopStrings = RequestJson.OptionalStrings(body, "stop"),
        };
        if (chat) generation = model.ChatOptions(generation);
        bool stream = RequestJson.OptionalBool(body, "stream");
        var answer = new CompletionAnswer(chat, adapter);
        if (stream) return await CompletionStream.StartAsync(batcher, adapter, new CompletionRequest(prompt, generation), answer, IncludeUsage(body), ct);
        var result = await batcher.SubmitAsync(adapter, new CompletionRequest(prompt, generation), ct);
        return Results.Json(answer.Whole(result));
    });

    private static string RenderChat(CausalLMServable model, JsonElement body)
    {
        var template = model.ChatTemplate ?? throw ServingRequestException.BadField("messages",
            $"this server has no chat template{(model.ChatTemplateProblem is { } problem ? $" ({problem})" : "")}; use /v1/completions.");
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            throw ServingRequestException.BadField("messages", "must be a non-empty array of {role, content}.");
        var list = new List<ChatMessage>();
        int i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object) throw ServingRequestException.BadField($"messages[{i}]", "must be an object.");
            list.Add(new ChatMessage(RequestJson.RequiredString(message, "role", $"messages[{i}].role"), RequestJson.RequiredString(message, "content", $"messages[{i}].content")));
            i++;
        }
        var tokenizer = model.Model.Tokenizer!;
        try
        {
            return template.Render(list, addGenerationPrompt: true, tokenizer.BosToken, tokenizer.EosToken);
        }
        catch (ArgumentException e) // e.g. roles that do not alternate where the family requires it
        {
            throw ServingRequestException.BadField("messages", e.Message);
        }
    }

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

    private static IResult Error(int status, string message, string? field) => Results.Json(ErrorBody(status, message, field), statusCode: status);

    /// <summary>OpenAI's error object: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
    internal static object ErrorBody(int status, string message, string? field)
    {
        string type = status switch { 400 => "invalid_request_error", 404 => "not_found_error", 422 => "adapter_error", 429 => "rate_limit_error", 503 => "unavailable_error", _ => "server_error" };
        return new { error = new { message, type, param = field, code = status } };
    }

    /// <summary>OpenAI's <c>stream_options: {"include_usage": true}</c>: a last chunk with the token counts.</summary>
    private static bool IncludeUsage(JsonElement body)
    {
        if (!body.TryGetProperty("stream_options", out var streamOptions) || streamOptions.ValueKind == JsonValueKind.Null) return false;
        if (streamOptions.ValueKind != JsonValueKind.Object) throw ServingRequestException.BadField("stream_options", "must be an object.");
        return RequestJson.OptionalBool(streamOptions, "include_usage");
    }
}
