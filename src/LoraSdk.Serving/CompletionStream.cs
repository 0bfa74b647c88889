using System.Text.Json;
using System.Threading.Channels;
using LoraSdk.Models;
using Microsoft.AspNetCore.Http;

namespace LoraSdk.Serving;

/// <summary>
/// A streamed completion (<c>"stream": true</c>): OpenAI's server-sent events, one <c>data: {chunk}</c> per piece of
/// text as the batch generates it, then the finish chunk, optionally a usage chunk, and <c>data: [DONE]</c>. The
/// request goes through the batcher like any other (batched with the prompts that arrive with it); its pieces come
/// over a channel from the generating thread.
/// </summary>
internal sealed class CompletionStream : IResult
{
    private readonly ChannelReader<string> _pieces;
    private readonly Task<GenerationResult> _completion;
    private readonly CompletionAnswer _answer;
    private readonly bool _includeUsage;

    private CompletionStream(ChannelReader<string> pieces, Task<GenerationResult> completion, CompletionAnswer answer, bool includeUsage)
    {
        _pieces = pieces;
        _completion = completion;
        _answer = answer;
        _includeUsage = includeUsage;
    }

    /// <summary>
    /// Queues the request and waits for its first piece of text or its end before answering: a refusal found by the
    /// batch worker (unknown or unusable adapter) still gets its status code instead of a 200 stream.
    /// </summary>
    public static async Task<IResult> StartAsync(AdapterBatcher<CompletionRequest, GenerationResult> batcher, string adapter,
        CompletionRequest request, CompletionAnswer answer, bool includeUsage, CancellationToken cancellationToken)
    {
        var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var completion = batcher.SubmitAsync(adapter, request with { OnText = text => pieces.Writer.TryWrite(text) }, cancellationToken);
        // Every piece is written before the result is set, so completing the channel after the task loses none.
        _ = completion.ContinueWith(_ => pieces.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await pieces.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        if (completion.IsCompleted && !completion.IsCompletedSuccessfully && !pieces.Reader.TryPeek(out _))
            await completion.ConfigureAwait(false); // throws the refusal
        return new CompletionStream(pieces.Reader, completion, answer, includeUsage);
    }

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        if (_answer.Chat) await SendAsync(response, _answer.RoleChunk(), aborted);
        await foreach (var text in _pieces.ReadAllAsync(aborted).ConfigureAwait(false))
            await SendAsync(response, _answer.TextChunk(text), aborted);
        GenerationResult result;
        try
        {
            result = await _completion.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The status line is sent: the error goes in the stream, as OpenAI's API reports errors mid-stream.
            int status = e is ServingRequestException refusal ? refusal.StatusCode : 500;
            await SendAsync(response, LoraEndpoints.ErrorBody(status, e.Message, (e as ServingRequestException)?.Field), aborted);
            await response.WriteAsync("data: [DONE]\n\n", aborted);
            return;
        }
        await SendAsync(response, _answer.FinishChunk(result), aborted);
        if (_includeUsage) await SendAsync(response, _answer.UsageChunk(result), aborted);
        await response.WriteAsync("data: [DONE]\n\n", aborted);
        await response.Body.FlushAsync(aborted);
    }

    private static async Task SendAsync(HttpResponse response, object chunk, CancellationToken cancellationToken)
    {
        await response.WriteAsync($"data: {JsonSerializer.Serialize(chunk)}\n\n", cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false); // each chunk leaves now, not when a buffer fills
    }
}
