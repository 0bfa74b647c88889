using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using LoraSdk.Models.Tests;
using Microsoft.Extensions.DependencyInjection;
using static LoraSdk.Serving.Tests.CompletionServerKit;

namespace LoraSdk.Serving.Tests;

/// <summary>
/// Refusals under load over real HTTP: with the one batch worker held inside a generation (a <see cref="StepGate"/>),
/// a full queue answers 429 at once, and a server that is shutting down answers 503 at once while it drains what it
/// had accepted; nothing hangs and nothing accepted is lost.
/// </summary>
public sealed class OverloadOverHttpTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_full_queue_answers_429_and_a_draining_server_503_at_once_and_accepted_requests_are_answered()
    {
        using var dir = new TempDirectory();
        string modelFolder = WriteModel(Path.Combine(dir.Path, "model"));
        string root = Directory.CreateDirectory(Path.Combine(dir.Path, "adapters")).FullName;
        WriteAdapters(modelFolder, root, ["acme"], seed: 6);
        using var lateArrived = new ManualResetEventSlim(false);
        var (app, client, model) = await StartAsync(modelFolder, root, o =>
        {
            o.Batching.QueueLimit = 1;
            o.Batching.MaxBatchSize = 1;
            o.Batching.Window = TimeSpan.Zero;
        }, app => app.Use(async (context, next) =>
        {
            if (context.Request.Headers.ContainsKey("x-late")) lateArrived.Set();
            await next();
        }));
        var server = app.Services.GetRequiredService<LoraServer>();
        using var release = new ManualResetEventSlim(false);
        using var gate = new StepGate(model, blockAtStep: 1, release: () => release.Wait(TimeSpan.FromSeconds(60)));
        Task? stopping = null;
        try
        {
            var held = client.PostAsync("/v1/completions", Json(new { model = "acme", prompt = "held", max_tokens = 3 }));
            Assert.True(gate.Entered.Wait(TimeSpan.FromSeconds(30)), "the first request never reached the model");

            // The worker is held: one request fits in the queue, the others are refused at once.
            var burst = Enumerable.Range(0, 4).Select(i => Send(client, new { model = "acme", prompt = $"burst {i}", max_tokens = 3 })).ToList();
            var refused = new List<(HttpStatusCode Status, JsonElement Body)>();
            foreach (var request in burst)
                if (await Task.WhenAny(request, Task.Delay(Quick)) == request) refused.Add(await request);
            Assert.Equal(3, refused.Count); // the fourth waits in the queue: accepted, not refused
            Assert.All(refused, r =>
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, r.Status);
                Assert.Equal("rate_limit_error", r.Body.GetProperty("error").GetProperty("type").GetString());
            });
            var queued = burst.Single(r => !r.IsCompleted);
            Assert.False(held.IsCompleted);

            // Shutdown. Kestrel stops listening first and lets requests it has received finish: one whose body is
            // still arriving when shutdown starts gets 503 at once, while the held and queued ones are drained.
            using (var ready = await client.GetAsync("/health/ready")) Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            var body = new HeldBody("{\"model\": \"acme\", ", "\"prompt\": \"late\", \"max_tokens\": 3}");
            using var lateRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = body };
            lateRequest.Headers.Add("x-late", "1");
            var late = client.SendAsync(lateRequest);
            Assert.True(lateArrived.Wait(TimeSpan.FromSeconds(30)), "the late request never reached the server");
            stopping = app.StopAsync();
            Assert.True(SpinWait.SpinUntil(() => !server.Ready, TimeSpan.FromSeconds(30)), "readiness did not fail once shutdown began");
            body.Finish();
            Assert.True(await Task.WhenAny(late, Task.Delay(Quick)) == late, "a request during the drain hung");
            using (var lateResponse = await late)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, lateResponse.StatusCode);
                var error = JsonDocument.Parse(await lateResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
                Assert.Equal("unavailable_error", error.GetProperty("type").GetString());
            }
            Assert.False(stopping.IsCompleted, "shutdown finished before the accepted requests were answered");

            release.Set();
            using (var heldResponse = await held) Assert.Equal(HttpStatusCode.OK, heldResponse.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await queued).Status);
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            release.Set();
            client.Dispose();
            if (stopping is not null) await stopping;
            await app.DisposeAsync();
        }
    }

    /// <summary>A request body sent in two parts: the second only once <see cref="Finish"/> is called.</summary>
    private sealed class HeldBody(string first, string rest) : HttpContent
    {
        private readonly TaskCompletionSource _finish = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HeldBody Finish()
        {
            _finish.TrySetResult();
            return this;
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(first));
            await stream.FlushAsync();
            await _finish.Task;
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(rest));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false; // chunked: the server reads the first part before the rest exists
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> Send(HttpClient client, object body)
    {
        using var response = await client.PostAsync("/v1/completions", Json(body));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
