using System.Globalization;
using System.Text;

namespace LoraSdk.Models;

/// <summary>
/// A chat template: how a list of <see cref="ChatMessage"/>s becomes the prompt text a chat model was trained on.
/// The families here render exactly what their HuggingFace Jinja templates render for system / user / assistant
/// messages (tools are not supported): <see cref="Llama3"/>, <see cref="Llama31"/> (Llama 3.1 / 3.2's dated system
/// header), <see cref="ChatML"/> (Qwen2, SmolLM), <see cref="Mistral"/> (<c>[INST] ... [/INST]</c>) and
/// <see cref="Llama2"/>. <see cref="Recognize"/> picks one from tokenizer_config.json's <c>chat_template</c> by what the
/// Jinja computes, without running Jinja; anything else is refused.
/// </summary>
public sealed class ChatTemplate
{
    private const string KnownFamilies = "Llama 3 (ChatTemplate.Llama3), Llama 3.1/3.2 (ChatTemplate.Llama31), ChatML as Qwen2 and SmolLM use it (ChatTemplate.ChatML), Mistral [INST] (ChatTemplate.Mistral), Llama 2 (ChatTemplate.Llama2)";

    private readonly Func<IReadOnlyList<ChatMessage>, bool, string?, string?, string> _render;

    private ChatTemplate(string name, IReadOnlyList<string> stopTokens, Func<IReadOnlyList<ChatMessage>, bool, string?, string?, string> render)
    {
        Name = name;
        StopTokens = stopTokens;
        _render = render;
    }

    /// <summary>The family, e.g. "Llama 3", "ChatML".</summary>
    public string Name { get; }

    /// <summary>Tokens that end an assistant turn in this family (generation stops there): &lt;|eot_id|&gt;, &lt;|im_end|&gt;; empty where the EOS token does it.</summary>
    public IReadOnlyList<string> StopTokens { get; }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>
    /// The prompt for <paramref name="messages"/>; with <paramref name="addGenerationPrompt"/> it ends with the header
    /// that starts the assistant's answer (families without one ignore it, as their Jinja does). BOS / EOS are
    /// written as text where the family's template writes <c>bos_token</c> / <c>eos_token</c>.
    /// </summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bosToken, string? eosToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return _render(messages, addGenerationPrompt, bosToken, eosToken);
    }

    /// <summary>Llama 3 (3.0 Instruct): <c>&lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ncontent&lt;|eot_id|&gt;</c>, contents trimmed.</summary>
    public static ChatTemplate Llama3 { get; } = new("Llama 3", ["<|eot_id|>"], (messages, generation, bos, _) =>
    {
        var text = new StringBuilder(Required(bos, "bos_token", "Llama 3"));
        foreach (var message in messages) AppendLlama3Turn(text, message.Role, PythonStrip(message.Content));
        if (generation) text.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return text.ToString();
    });

    /// <summary>
    /// Llama 3.1 / 3.2: as <see cref="Llama3"/>, but a system turn always comes first, opening with
    /// "Cutting Knowledge Date: December 2023\nToday Date: <paramref name="dateString"/>\n\n" before the (trimmed)
    /// system message. 3.1's template defaults the date to "26 Jul 2024"; 3.2's uses today's ("07 Dec 2026").
    /// </summary>
    public static ChatTemplate Llama31(string dateString = "26 Jul 2024") => new("Llama 3.1", ["<|eot_id|>"], (messages, generation, bos, _) =>
    {
        var text = new StringBuilder(Required(bos, "bos_token", "Llama 3.1"));
        var system = messages.Count > 0 && messages[0].Role == "system" ? PythonStrip(messages[0].Content) : "";
        text.Append("<|start_header_id|>system<|end_header_id|>\n\n")
            .Append("Cutting Knowledge Date: December 2023\n").Append("Today Date: ").Append(dateString).Append("\n\n")
            .Append(system).Append("<|eot_id|>");
        foreach (var message in messages.Skip(messages.Count > 0 && messages[0].Role == "system" ? 1 : 0))
        {
            if (message.Role is "ipython" or "tool") throw new ArgumentException($"role \"{message.Role}\" (tool calling) is not supported by ChatTemplate.Llama31");
            AppendLlama3Turn(text, message.Role, PythonStrip(message.Content));
        }
        if (generation) text.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return text.ToString();
    });

    /// <summary>
    /// ChatML (Qwen2, SmolLM): <c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c> per system / user / assistant message, no BOS. When the first
    /// message is not a system message and <paramref name="defaultSystemPrompt"/> is given, a system turn with it comes
    /// first (Qwen2: "You are a helpful assistant.", SmolLM2: "You are a helpful AI assistant named SmolLM, trained by Hugging Face").
    /// </summary>
    public static ChatTemplate ChatML(string? defaultSystemPrompt = null) => new("ChatML", ["<|im_end|>"], (messages, generation, _, _) =>
    {
        var text = new StringBuilder();
        if (defaultSystemPrompt is not null && (messages.Count == 0 || messages[0].Role != "system"))
            text.Append("<|im_start|>system\n").Append(defaultSystemPrompt).Append("<|im_end|>\n");
        foreach (var message in messages)
        {
            // Tool-aware ChatML templates (Qwen2.5) rewrite tool turns; only the plain roles render the same everywhere.
            if (message.Role is not ("system" or "user" or "assistant"))
                throw new ArgumentException($"role \"{message.Role}\" is not supported by ChatTemplate.ChatML (system, user, assistant)");
            text.Append("<|im_start|>").Append(message.Role).Append('\n').Append(message.Content).Append("<|im_end|>\n");
        }
        if (generation) text.Append("<|im_start|>assistant\n");
        return text.ToString();
    });

    /// <summary>
    /// Mistral Instruct: <c>&lt;s&gt;[INST] user [/INST]assistant&lt;/s&gt;...</c>; user and assistant must alternate,
    /// starting with the user. The spellings differ between releases, so they are parameters: v0.1/v0.2 use the
    /// defaults and refuse a system message; v0.3 writes <c>[INST] </c>/<c>[/INST]</c> (<paramref name="instClose"/>
    /// "[/INST]"), puts the system message before the last user message (<paramref name="systemBeforeLastUser"/>) and
    /// writes an assistant turn as " " + trimmed content + EOS (<paramref name="assistantPrefix"/> " ",
    /// <paramref name="trimAssistant"/>). There is no generation prompt: the text after [/INST] is the answer.
    /// </summary>
    public static ChatTemplate Mistral(string instOpen = "[INST] ", string instClose = " [/INST]", bool systemBeforeLastUser = false,
        string assistantPrefix = "", bool trimAssistant = false, string assistantSuffix = "") =>
        new("Mistral", [], (messages, _, bos, eos) =>
        {
            var turns = messages;
            string? system = null;
            if (messages.Count > 0 && messages[0].Role == "system")
            {
                if (!systemBeforeLastUser) throw new ArgumentException("this Mistral template supports only user and assistant roles (no system message)");
                system = messages[0].Content;
                turns = messages.Skip(1).ToList();
            }
            CheckAlternation(turns, "Mistral");
            var text = new StringBuilder(Required(bos, "bos_token", "Mistral"));
            for (var i = 0; i < turns.Count; i++)
            {
                var message = turns[i];
                if (message.Role == "user")
                {
                    var content = system is not null && i == turns.Count - 1 ? system + "\n\n" + message.Content : message.Content;
                    text.Append(instOpen).Append(content).Append(instClose);
                }
                else
                {
                    text.Append(assistantPrefix).Append(trimAssistant ? PythonStrip(message.Content) : message.Content)
                        .Append(Required(eos, "eos_token", "Mistral")).Append(assistantSuffix);
                }
            }
            return text.ToString();
        });

    /// <summary>
    /// Llama 2 Chat: <c>&lt;s&gt;[INST] &lt;&lt;SYS&gt;&gt;\nsystem\n&lt;&lt;/SYS&gt;&gt;\n\nuser [/INST] assistant &lt;/s&gt;</c>,
    /// each user turn opening with BOS; contents stripped; no generation prompt.
    /// </summary>
    public static ChatTemplate Llama2 { get; } = new("Llama 2", [], (messages, _, bos, eos) =>
    {
        var turns = messages;
        string? system = null;
        if (messages.Count > 0 && messages[0].Role == "system")
        {
            system = messages[0].Content;
            turns = messages.Skip(1).ToList();
        }
        CheckAlternation(turns, "Llama 2");
        var text = new StringBuilder();
        for (var i = 0; i < turns.Count; i++)
        {
            var content = i == 0 && system is not null ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + turns[i].Content : turns[i].Content;
            if (turns[i].Role == "user") text.Append(Required(bos, "bos_token", "Llama 2")).Append("[INST] ").Append(PythonStrip(content)).Append(" [/INST]");
            else text.Append(' ').Append(PythonStrip(content)).Append(' ').Append(Required(eos, "eos_token", "Llama 2"));
        }
        return text.ToString();
    });

    /// <summary>
    /// The template whose Jinja <paramref name="jinja"/> is (tokenizer_config.json's <c>chat_template</c>), recognised by
    /// the expressions it computes. Throws <see cref="InvalidDataException"/> naming <paramref name="file"/> and the known
    /// families when it is none of them, or a variant whose output this class would not reproduce exactly.
    /// </summary>
    public static ChatTemplate Recognize(string jinja, string file = "tokenizer_config.json")
    {
        ArgumentNullException.ThrowIfNull(jinja);
        return ChatTemplateRecognizer.Recognize(jinja, file) ??
               throw new InvalidDataException($"{file}: chat_template is not a family this library renders; known: {KnownFamilies}. Pass one of these to ApplyChatTemplate / EncodeChat explicitly if it is what the model expects.");
    }

    internal static InvalidDataException UnknownVariant(string file, string family, string what) =>
        new($"{file}: chat_template looks like {family} but {what}, so it would not be rendered exactly; known: {KnownFamilies}. Pass one explicitly if it is what the model expects.");

    private static void AppendLlama3Turn(StringBuilder text, string role, string content) =>
        text.Append("<|start_header_id|>").Append(role).Append("<|end_header_id|>\n\n").Append(content).Append("<|eot_id|>");

    private static void CheckAlternation(IReadOnlyList<ChatMessage> turns, string family)
    {
        for (var i = 0; i < turns.Count; i++)
        {
            var expected = i % 2 == 0 ? "user" : "assistant";
            if (turns[i].Role != expected)
                throw new ArgumentException($"{family}: conversation roles must alternate user/assistant/user/assistant/... (message {i} is \"{turns[i].Role}\")");
        }
    }

    private static string Required(string? token, string name, string family) =>
        token ?? throw new InvalidOperationException($"the {family} chat template writes {name}, but the tokenizer has none");

    // Jinja's trim and Python's str.strip(): characters Python's str.isspace() accepts.
    internal static string PythonStrip(string text)
    {
        static bool IsSpace(char c) => c is >= '\t' and <= '\r' or >= '\u001C' and <= '\u001F' or ' ' or '\u0085' or '\u00A0' or '\u1680'
            or >= '\u2000' and <= '\u200A' or '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000';
        var start = 0;
        var end = text.Length;
        while (start < end && IsSpace(text[start])) start++;
        while (end > start && IsSpace(text[end - 1])) end--;
        return text[start..end];
    }

    /// <summary>Today's date as Llama 3.2's template writes it (strftime "%d %b %Y", e.g. "07 Dec 2026").</summary>
    internal static string TodayForLlama32() => DateTime.Now.ToString("dd MMM yyyy", CultureInfo.InvariantCulture);
}
