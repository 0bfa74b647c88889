using System.Text.Json.Nodes;
using static LoraSdk.Models.Tests.Tokenization.TokenizerFolders;

namespace LoraSdk.Models.Tests.Tokenization;

/// <summary>
/// Chat templates: each family's Jinja (as its tokenizer_config.json ships it) is recognised and rendered to the exact
/// text transformers' apply_chat_template gives. The Mixtral / Mistral v0.1 / Llama 2 / ChatML expectations are the
/// outputs recorded from real Jinja runs of these templates (the five-message conversation below); the others are
/// worked out from the templates' code, quoted in each test.
/// </summary>
public sealed class ChatTemplateTests
{
    private static readonly ChatMessage[] Conversation =
    [
        ChatMessage.System("You are a helpful assistant"),
        ChatMessage.User("Hello"),
        ChatMessage.Assistant("Hi there"),
        ChatMessage.User("Who are you"),
        ChatMessage.Assistant("   I am an assistant   "),
        ChatMessage.User("Another question"),
    ];

    private static ChatMessage[] WithoutSystem => Conversation[1..];

    // meta-llama/Meta-Llama-3-8B-Instruct (JSON "\n" is a real newline inside the Jinja literal).
    private const string Llama3Jinja = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    // meta-llama/Llama-3.1-8B-Instruct, the parts that apply without tools (its tool branches add nothing when no tools are passed).
    private const string Llama31Jinja = @"{{- bos_token }}
{%- if not date_string is defined %}
    {%- set date_string = ""26 Jul 2024"" %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = """" %}
{%- endif %}
{{- ""<|start_header_id|>system<|end_header_id|>\n\n"" }}
{%- if builtin_tools is defined or tools is not none %}
    {{- ""Environment: ipython\n"" }}
{%- endif %}
{{- ""Cutting Knowledge Date: December 2023\n"" }}
{{- ""Today Date: "" + date_string + ""\n\n"" }}
{{- system_message }}
{{- ""<|eot_id|>"" }}
{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}";

    // Qwen/Qwen2-7B-Instruct (JSON "\\n": the Jinja literal holds the escape).
    private const string Qwen2Jinja = @"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    private const string SmolLM2Jinja = @"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    // teknium/OpenHermes-2.5-Mistral-7B: ChatML without a default system prompt.
    private const string PlainChatMLJinja = @"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    private const string Qwen15Jinja = @"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content']}}{% if (loop.last and add_generation_prompt) or not loop.last %}{{ '<|im_end|>' + '\n'}}{% endif %}{% endfor %}{% if add_generation_prompt and messages[-1]['role'] != 'assistant' %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    private const string MixtralJinja = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    private const string MistralV01Jinja = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    // mistralai/Mistral-7B-Instruct-v0.3 without its tool-calling branches.
    private const string MistralV03Jinja = @"{%- if messages[0][""role""] == ""system"" %}
    {%- set system_message = messages[0][""content""] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message[""role""] == ""user"" %}
        {%- if loop.last and system_message is defined %}
            {{- ""[INST] "" + system_message + ""\n\n"" + message[""content""] + ""[/INST]"" }}
        {%- else %}
            {{- ""[INST] "" + message[""content""] + ""[/INST]"" }}
        {%- endif %}
    {%- elif message[""role""] == ""assistant"" %}
        {{- "" "" + message[""content""]|trim + eos_token}}
    {%- else %}
        {{- raise_exception(""Only user and assistant roles are supported, with the exception of an initial optional system message!"") }}
    {%- endif %}
{%- endfor %}";

    // meta-llama/Llama-2-13b-chat-hf
    private const string Llama2Jinja = @"{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    private static string Render(string jinja, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string bos = "<s>", string eos = "</s>") =>
        ChatTemplate.Recognize(jinja).Render(messages, addGenerationPrompt, bos, eos);

    [Fact]
    public void Llama3_writes_headers_trims_contents_and_puts_bos_once()
    {
        var template = ChatTemplate.Recognize(Llama3Jinja);
        Assert.Same(ChatTemplate.Llama3, template);
        Assert.Equal(["<|eot_id|>"], template.StopTokens);
        var messages = new[] { ChatMessage.System("You are terse."), ChatMessage.User(" Hi \n"), ChatMessage.Assistant("Hello!"), ChatMessage.User("Bye") };
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            template.Render(messages, addGenerationPrompt: true, "<|begin_of_text|>", "<|eot_id|>"));
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>",
            template.Render([ChatMessage.User("Bye")], addGenerationPrompt: false, "<|begin_of_text|>", "<|eot_id|>"));
    }

    [Fact]
    public void Llama31_always_opens_with_the_dated_system_header()
    {
        var template = ChatTemplate.Recognize(Llama31Jinja);
        Assert.Equal("Llama 3.1", template.Name);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" +
            "You are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            template.Render([ChatMessage.System(" You are terse. "), ChatMessage.User("Hi")], true, "<|begin_of_text|>", null));
        // No system message: the header is still there, with an empty system text.
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
            template.Render([ChatMessage.User("Hi")], false, "<|begin_of_text|>", null));
        // Llama 3.2's template takes today's date (strftime_now("%d %b %Y")).
        var today = ChatTemplate.Recognize(Llama31Jinja.Replace("{%- set date_string = \"26 Jul 2024\" %}", "{%- set date_string = strftime_now(\"%d %b %Y\") %}"));
        Assert.Contains("Today Date: " + DateTime.Now.ToString("dd MMM yyyy", System.Globalization.CultureInfo.InvariantCulture) + "\n\n",
            today.Render([ChatMessage.User("Hi")], false, "<|begin_of_text|>", null));
    }

    [Fact]
    public void ChatML_renders_turns_and_the_family_default_system_prompt()
    {
        // Recorded from the OpenHermes ChatML template.
        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n" +
            "<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n" +
            "<|im_start|>assistant\n",
            Render(PlainChatMLJinja, Conversation, addGenerationPrompt: true));
        // Qwen2: no system message → "You are a helpful assistant." first; a given one replaces it.
        Assert.Equal("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
            Render(Qwen2Jinja, [ChatMessage.User("Hello")], addGenerationPrompt: true));
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n",
            Render(Qwen2Jinja, [ChatMessage.System("Be brief."), ChatMessage.User("Hello")], addGenerationPrompt: false));
        Assert.StartsWith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\n",
            Render(SmolLM2Jinja, [ChatMessage.User("Hello")], addGenerationPrompt: true));
        Assert.Equal(["<|im_end|>"], ChatTemplate.Recognize(Qwen2Jinja).StopTokens);
        Assert.Throws<ArgumentException>(() => Render(Qwen2Jinja, [ChatMessage.User("Hi"), new ChatMessage("tool", "42")], true));
    }

    [Fact]
    public void Mistral_releases_render_their_own_spacing()
    {
        // Recorded outputs (conversation without the system message, which these templates refuse).
        Assert.Equal("<s>[INST] Hello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]",
            Render(MixtralJinja, WithoutSystem, addGenerationPrompt: true));
        Assert.Equal("<s>[INST] Hello [/INST]Hi there</s> [INST] Who are you [/INST]   I am an assistant   </s> [INST] Another question [/INST]",
            Render(MistralV01Jinja, WithoutSystem, addGenerationPrompt: true));
        Assert.Throws<ArgumentException>(() => Render(MixtralJinja, Conversation, true));
        Assert.Throws<ArgumentException>(() => Render(MixtralJinja, [ChatMessage.Assistant("first")], true));

        // v0.3, from its code: "[INST] " + content + "[/INST]", assistant " " + content|trim + eos, and the system
        // message before the last user message (loop.last and system_message is defined).
        Assert.Equal("<s>[INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] You are a helpful assistant\n\nAnother question[/INST]",
            Render(MistralV03Jinja, Conversation, addGenerationPrompt: true));
    }

    [Fact]
    public void Llama2_wraps_the_system_prompt_into_the_first_user_turn()
    {
        // Recorded output.
        Assert.Equal(
            "<s>[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] Hi there </s><s>[INST] Who are you [/INST] I am an assistant </s><s>[INST] Another question [/INST]",
            Render(Llama2Jinja, Conversation, addGenerationPrompt: true));
    }

    [Fact]
    public void Unknown_templates_and_unknown_variants_are_refused()
    {
        var unknown = Assert.Throws<InvalidDataException>(() => ChatTemplate.Recognize("{% for message in messages %}### {{ message['role'] }}:\n{{ message['content'] }}\n{% endfor %}"));
        Assert.StartsWith("tokenizer_config.json: chat_template is not a family this library renders; known: Llama 3 (ChatTemplate.Llama3)", unknown.Message);
        Assert.Contains("ChatTemplate.Mistral", unknown.Message);

        var variant = Assert.Throws<InvalidDataException>(() => ChatTemplate.Recognize(Qwen15Jinja));
        Assert.Contains("looks like ChatML but it leaves <|im_end|> off the last message", variant.Message);

        var llama = Assert.Throws<InvalidDataException>(() => ChatTemplate.Recognize(Llama3Jinja.Replace("| trim", "")));
        Assert.Contains("looks like Llama 3", llama.Message);
    }

    [Fact]
    public void EncodeChat_writes_bos_once_and_stops_at_end_of_turn()
    {
        var json = Llama3Style();
        json["added_tokens"]!.AsArray().Add(Added(280, "<|start_header_id|>", special: true));
        json["added_tokens"]!.AsArray().Add(Added(281, "<|end_header_id|>", special: true));
        var tokenizer = Load(("tokenizer.json", json),
            ("tokenizer_config.json", new JsonObject { ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|end_of_text|>", ["chat_template"] = Llama3Jinja }),
            ("generation_config.json", new JsonObject { ["eos_token_id"] = new JsonArray(EndOfText, EotId) }));
        Assert.Same(ChatTemplate.Llama3, tokenizer.ChatTemplate);

        var ids = tokenizer.EncodeChat([ChatMessage.User("hello")], addGenerationPrompt: true);
        // <|begin_of_text|> <|start_header_id|> "user" (no merges: u s e r) <|end_header_id|> "\n\n" (Ċ Ċ) "hello" (259)
        // <|eot_id|> <|start_header_id|> "assistant" (no merges) <|end_header_id|> "\n\n".
        int[] expected =
        [
            BeginOfText, 280, 0x75, 0x73, 0x65, 0x72, 281, 10, 10, 259, EotId,
            280, 0x61, 0x73, 0x73, 0x69, 0x73, 0x74, 0x61, 0x6E, 0x74, 281, 10, 10,
        ];
        Assert.Equal(expected, ids);
        // Encoding the rendered text with special tokens would have doubled the BOS.
        Assert.Equal([BeginOfText, BeginOfText], tokenizer.Encode(tokenizer.ApplyChatTemplate([ChatMessage.User("hello")])).Take(2));
        Assert.Equal([EndOfText, EotId], tokenizer.ChatStopTokenIds());
    }

    [Fact]
    public void A_tokenizer_without_a_chat_template_says_how_to_pick_one()
    {
        var tokenizer = Load(("tokenizer.json", Llama3Style()), ("tokenizer_config.json", new JsonObject { ["bos_token"] = "<|begin_of_text|>" }));
        var error = Assert.Throws<InvalidOperationException>(() => tokenizer.ChatTemplate);
        Assert.Contains("no chat_template; pass a template explicitly", error.Message);
        Assert.StartsWith("<|begin_of_text|><|start_header_id|>user", tokenizer.ApplyChatTemplate([ChatMessage.User("hi")], true, ChatTemplate.Llama3));
    }
}
