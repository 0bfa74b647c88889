namespace LoraSdk.Models;

/// <summary>One turn of a chat: <paramref name="Role"/> is "system", "user" or "assistant" (as in transformers' messages).</summary>
/// <param name="Role">Who speaks: "system", "user" or "assistant".</param>
/// <param name="Content">What is said.</param>
public sealed record ChatMessage(string Role, string Content)
{
    /// <summary>A system message.</summary>
    public static ChatMessage System(string content) => new("system", content);

    /// <summary>A user message.</summary>
    public static ChatMessage User(string content) => new("user", content);

    /// <summary>An assistant message.</summary>
    public static ChatMessage Assistant(string content) => new("assistant", content);
}
