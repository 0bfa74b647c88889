using LoraSdk.Models;

namespace LoraSdk.Serving;

/// <summary>
/// The JSON of one OpenAI completion or chat completion answer, whole or as stream chunks: one id and creation time
/// for all its chunks, <c>model</c> the adapter's name, <c>finish_reason</c> "length" when <c>max_tokens</c> ended it
/// and "stop" otherwise (end of sequence, end of turn or a stop string).
/// </summary>
internal sealed class CompletionAnswer(bool chat, string adapter)
{
    private readonly string _id = $"{(chat ? "chatcmpl" : "cmpl")}-{Guid.NewGuid():N}";
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public bool Chat => chat;

    /// <summary>The non-streamed answer: <c>text_completion</c> or <c>chat.completion</c> with usage.</summary>
    public object Whole(GenerationResult result)
    {
        object choice = chat
            ? new { index = 0, message = new { role = "assistant", content = result.Text }, finish_reason = Finish(result) }
            : new { index = 0, text = result.Text, logprobs = (object?)null, finish_reason = Finish(result) };
        return new { id = _id, @object = chat ? "chat.completion" : "text_completion", created = _created, model = adapter, choices = new[] { choice }, usage = Usage(result) };
    }

    /// <summary>A chat stream's first chunk: the assistant's role, no content yet (as OpenAI sends it).</summary>
    public object RoleChunk() => Chunk(new { index = 0, delta = new { role = "assistant", content = "" }, finish_reason = (string?)null });

    /// <summary>One piece of generated text.</summary>
    public object TextChunk(string text) => chat
        ? Chunk(new { index = 0, delta = new { content = text }, finish_reason = (string?)null })
        : Chunk(new { index = 0, text, logprobs = (object?)null, finish_reason = (string?)null });

    /// <summary>The last chunk with a choice: no new text, the finish reason.</summary>
    public object FinishChunk(GenerationResult result) => chat
        ? Chunk(new { index = 0, delta = new { }, finish_reason = Finish(result) })
        : Chunk(new { index = 0, text = "", logprobs = (object?)null, finish_reason = Finish(result) });

    /// <summary>OpenAI's <c>stream_options.include_usage</c> chunk: no choices, the token counts.</summary>
    public object UsageChunk(GenerationResult result) =>
        new { id = _id, @object = ChunkObject, created = _created, model = adapter, choices = Array.Empty<object>(), usage = Usage(result) };

    private string ChunkObject => chat ? "chat.completion.chunk" : "text_completion";

    private object Chunk(object choice) => new { id = _id, @object = ChunkObject, created = _created, model = adapter, choices = new[] { choice } };

    private static string Finish(GenerationResult result) => result.StopReason == StopReason.MaxNewTokens ? "length" : "stop";

    private static object Usage(GenerationResult result) => new
    {
        prompt_tokens = result.PromptTokenCount,
        completion_tokens = result.TokenIds.Count,
        total_tokens = result.PromptTokenCount + result.TokenIds.Count,
    };
}
