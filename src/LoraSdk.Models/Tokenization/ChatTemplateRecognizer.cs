using System.Text.RegularExpressions;
using static LoraSdk.Models.JinjaMarkers;

namespace LoraSdk.Models;

/// <summary>
/// Recognises a family from a chat template's Jinja: a family marker (&lt;|start_header_id|&gt;, &lt;|im_start|&gt;,
/// [INST], &lt;&lt;SYS&gt;&gt;) picks the family, then the expressions that decide its output must all be found in the
/// spelling the family's renderer reproduces; a template with the marker but not those is refused, not guessed.
/// </summary>
internal static class ChatTemplateRecognizer
{
    public static ChatTemplate? Recognize(string jinja, string file)
    {
        if (jinja.Contains("<|start_header_id|>", StringComparison.Ordinal)) return Llama3(jinja, file);
        if (jinja.Contains("<|im_start|>", StringComparison.Ordinal)) return ChatML(jinja, file);
        if (jinja.Contains("<<SYS>>", StringComparison.Ordinal)) return Llama2(jinja, file);
        if (jinja.Contains("[INST]", StringComparison.Ordinal)) return Mistral(jinja, file);
        return null;
    }

    private static readonly string[] Llama3Turn =
        ["'<|start_header_id|>'", "+", "message['role']", "+", "'<|end_header_id|>\n\n'", "+", "message['content']", "|", "trim", "+", "'<|eot_id|>'"];

    private static ChatTemplate Llama3(string jinja, string file)
    {
        if (!Has(jinja, Llama3Turn)) throw ChatTemplate.UnknownVariant(file, "Llama 3", "its turns are not '<|start_header_id|>' + role + '<|end_header_id|>\\n\\n' + content|trim + '<|eot_id|>'");
        if (!Has(jinja, "'<|start_header_id|>assistant<|end_header_id|>\n\n'")) throw ChatTemplate.UnknownVariant(file, "Llama 3", "it has no '<|start_header_id|>assistant<|end_header_id|>\\n\\n' generation prompt");
        if (!jinja.Contains("Cutting Knowledge Date", StringComparison.Ordinal))
        {
            if (!Has(jinja, "bos_token", "+", "content") || !Has(jinja, "loop.index0", "==", "0"))
                throw ChatTemplate.UnknownVariant(file, "Llama 3", "it does not put bos_token before the first turn only");
            return ChatTemplate.Llama3;
        }

        if (!Has(jinja, "'<|start_header_id|>system<|end_header_id|>\n\n'") || !Has(jinja, "'Cutting Knowledge Date: December 2023\n'") ||
            !Has(jinja, "'Today Date: '", "+", "date_string", "+", "'\n\n'") || !Has(jinja, "messages[0]['content']", "|", "trim") ||
            !Has(jinja, "{{-", "bos_token", "}}"))
            throw ChatTemplate.UnknownVariant(file, "Llama 3.1", "its system header differs from Llama 3.1/3.2's");
        if (jinja.Contains("strftime_now", StringComparison.Ordinal)) return ChatTemplate.Llama31(ChatTemplate.TodayForLlama32());
        var date = Regex.Match(jinja, @"set\s+date_string\s*=\s*[""']([^""']*)[""']");
        return date.Success ? ChatTemplate.Llama31(date.Groups[1].Value) : throw ChatTemplate.UnknownVariant(file, "Llama 3.1", "it sets no default date_string");
    }

    private static ChatTemplate ChatML(string jinja, string file)
    {
        if (jinja.Contains("<think>", StringComparison.Ordinal) || jinja.Contains("reasoning_content", StringComparison.Ordinal))
            throw ChatTemplate.UnknownVariant(file, "ChatML", "it handles reasoning (<think>) turns");
        if (Has(jinja, "loop.last", "and", "add_generation_prompt"))
            throw ChatTemplate.UnknownVariant(file, "ChatML", "it leaves <|im_end|> off the last message (Qwen1.5's variant)");
        var turn = Has(jinja, "'<|im_start|>'", "+", "message['role']", "+", "'\n'", "+", "message['content']", "+", "'<|im_end|>'", "+", "'\n'") ||
                   Has(jinja, "'<|im_start|>'", "+", "message['role']", "+", "'\n'", "+", "message['content']", "+", "'<|im_end|>\n'");
        if (!turn) throw ChatTemplate.UnknownVariant(file, "ChatML", "its turns are not '<|im_start|>' + role + '\\n' + content + '<|im_end|>\\n'");
        if (!Has(jinja, "'<|im_start|>assistant\n'")) throw ChatTemplate.UnknownVariant(file, "ChatML", "its generation prompt is not '<|im_start|>assistant\\n'");

        // A system turn written as one literal is the default system prompt (Qwen2, SmolLM2); its condition must be
        // that the first message is not a system message.
        var defaults = Regex.Matches(jinja, @"(['""])<\|im_start\|>system(?:\n|\\n)([^'""]*)<\|im_end\|>(?:\n|\\n)\1")
            .Select(m => m.Groups[2].Value.Replace(@"\n", "\n")).Distinct().ToList();
        if (defaults.Count > 1) throw ChatTemplate.UnknownVariant(file, "ChatML", "it has more than one literal system prompt");
        if (defaults.Count == 1 && !(Has(jinja, "messages[0]['role']", "!=", "'system'") || Has(jinja, "messages[0]['role']", "==", "'system'")))
            throw ChatTemplate.UnknownVariant(file, "ChatML", "its default system prompt is not conditioned on the first message");
        return ChatTemplate.ChatML(defaults.Count == 1 ? defaults[0] : null);
    }

    private static ChatTemplate Llama2(string jinja, string file)
    {
        if (jinja.Contains("DEFAULT_SYSTEM_MESSAGE", StringComparison.Ordinal) || jinja.Contains("USE_DEFAULT_PROMPT", StringComparison.Ordinal))
            throw ChatTemplate.UnknownVariant(file, "Llama 2", "it has a built-in default system prompt");
        var ok = Has(jinja, "'<<SYS>>\n'", "+", "system_message", "+", "'\n<</SYS>>\n\n'", "+", "message['content']") &&
                 Has(jinja, "bos_token", "+", "'[INST] '", "+", "content.strip()", "+", "' [/INST]'") &&
                 Has(jinja, "' '", "+", "content.strip()", "+", "' '", "+", "eos_token");
        return ok ? ChatTemplate.Llama2 : throw ChatTemplate.UnknownVariant(file, "Llama 2", "its [INST] / <<SYS>> turns are spelled differently from Llama 2 Chat's");
    }

    private static ChatTemplate Mistral(string jinja, string file)
    {
        var spellings = (from open in new[] { "[INST] ", "[INST]" }
                         from close in new[] { " [/INST]", "[/INST]" }
                         where Has(jinja, $"'{open}'", "+", "message['content']", "+", $"'{close}'")
                         select (open, close)).ToList();
        if (spellings.Count != 1) throw ChatTemplate.UnknownVariant(file, "Mistral", "its user turns are not one '[INST] ' + content + ' [/INST]' spelling");
        var (instOpen, instClose) = spellings[0];

        bool systemBeforeLastUser;
        if (Has(jinja, "loop.last", "and", "system_message", "is", "defined"))
        {
            if (!Has(jinja, $"'{instOpen}'", "+", "system_message", "+", "'\n\n'", "+", "message['content']", "+", $"'{instClose}'"))
                throw ChatTemplate.UnknownVariant(file, "Mistral", "its system message is not written as '[INST] ' + system + '\\n\\n' + content");
            systemBeforeLastUser = true;
        }
        else if (jinja.Contains("Only user and assistant roles are supported", StringComparison.Ordinal))
        {
            systemBeforeLastUser = false;
        }
        else
        {
            throw ChatTemplate.UnknownVariant(file, "Mistral", "its handling of a system message is not one of the known releases'");
        }

        if (!Has(jinja, "bos_token")) throw ChatTemplate.UnknownVariant(file, "Mistral", "it writes no bos_token");
        if (Has(jinja, "' '", "+", "message['content']", "|", "trim", "+", "eos_token")) return Build(" ", true, "");
        if (Has(jinja, "' '", "+", "message['content']", "+", "eos_token")) return Build(" ", false, "");
        if (Has(jinja, "message['content']", "+", "eos_token", "+", "' '")) return Build("", false, " ");
        if (Has(jinja, "message['content']", "+", "eos_token")) return Build("", false, "");
        throw ChatTemplate.UnknownVariant(file, "Mistral", "its assistant turns are not content + eos_token in a known spelling");

        ChatTemplate Build(string prefix, bool trim, string suffix) =>
            ChatTemplate.Mistral(instOpen, instClose, systemBeforeLastUser, prefix, trim, suffix);
    }
}
