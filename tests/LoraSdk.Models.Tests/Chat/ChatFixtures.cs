using System.Text.Json.Nodes;
using LoraSdk.Models.Tests.Tokenization;

namespace LoraSdk.Models.Tests.Chat;

/// <summary>A Llama 3 style byte-level tokenizer (ids below 280) with BOS / EOS named, and JSONL files written for the chat tests.</summary>
internal static class ChatFixtures
{
    public static HuggingFaceTokenizer Llama3Tokenizer() => TokenizerFolders.Load(
        ("tokenizer.json", TokenizerFolders.Llama3Style()),
        ("tokenizer_config.json", new JsonObject { ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|eot_id|>" }));

    public static ChatDataOptions Options(int maxLength = 1024, ChatOverflow overflow = ChatOverflow.TruncateLeft, bool pack = false) =>
        new() { MaxLength = maxLength, Overflow = overflow, Pack = pack, Template = ChatTemplate.Llama3 };

    /// <summary>Writes <paramref name="lines"/> as data.jsonl in <paramref name="dir"/> and returns its path.</summary>
    public static string Jsonl(TempDirectory dir, params string[] lines)
    {
        string path = dir.File("data.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }
}
