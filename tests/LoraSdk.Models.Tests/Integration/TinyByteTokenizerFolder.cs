using System.Text.Json.Nodes;
using LoraSdk.Models.Tests.Tokenization;

namespace LoraSdk.Models.Tests.Integration;

/// <summary>
/// A byte-level tokenizer.json whose vocabulary fits the tiny decoders: &lt;pad&gt; 0, &lt;s&gt; 1 (BOS, added by the
/// post-processor), &lt;/s&gt; 2 (EOS), then byte b at id 3 + b; no merges, GPT-2's ByteLevel split (llama.cpp "gpt-2").
/// Every byte sequence encodes and every id decodes, so text generation runs end to end on a random model.
/// </summary>
internal static class TinyByteTokenizerFolder
{
    public const int Pad = 0, Bos = 1, Eos = 2, FirstByte = 3, Vocab = 259;

    public static void Write(string folder)
    {
        var vocab = new JsonObject { ["<pad>"] = Pad, ["<s>"] = Bos, ["</s>"] = Eos };
        for (int b = 0; b < 256; b++) vocab[TokenizerFolders.ByteChar(b).ToString()] = FirstByte + b;
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(
                TokenizerFolders.Added(Pad, "<pad>", special: true), TokenizerFolders.Added(Bos, "<s>", special: true), TokenizerFolders.Added(Eos, "</s>", special: true)),
            ["normalizer"] = null,
            ["pre_tokenizer"] = TokenizerFolders.ByteLevel(useRegex: true),
            ["post_processor"] = TokenizerFolders.Template($"<s>={Bos}", "$A"),
            ["decoder"] = TokenizerFolders.ByteLevel(useRegex: true),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = new JsonArray(),
            },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizer.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            new JsonObject { ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["pad_token"] = "<pad>", ["add_bos_token"] = true }.ToJsonString());
    }
}
