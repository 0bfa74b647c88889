using System.Text.Json.Nodes;

namespace LoraSdk.Models.Tests.Tokenization;

/// <summary>
/// Small tokenizer.json folders written for the tests. The byte-level ones give every byte its own token with
/// id = the byte's value (so a byte's id can be read off its hex), then the merged tokens from 256 up; the
/// SentencePiece-style one follows Llama 2's layout (&lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2, &lt;0x00&gt;..&lt;0xFF&gt; at 3..258).
/// </summary>
internal static class TokenizerFolders
{
    /// <summary>GPT-2's byte → character table, written out here independently of the library's.</summary>
    public static char ByteChar(int b)
    {
        var next = 256;
        for (var i = 0; i < 256; i++)
        {
            var printable = i is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            var c = printable ? (char)i : (char)next++;
            if (i == b) return c;
        }
        throw new ArgumentOutOfRangeException(nameof(b));
    }

    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The byte-level merges, in rank order (rank = index), each making the token with id 256 + rank.</summary>
    public static readonly (string Left, string Right)[] ByteLevelMerges =
    [
        ("h", "e"),          // 0 -> 256 "he"
        ("l", "l"),          // 1 -> 257 "ll"
        ("he", "ll"),        // 2 -> 258 "hell"
        ("hell", "o"),       // 3 -> 259 "hello"
        ("Ġ", "w"),          // 4 -> 260 "Ġw"
        ("o", "r"),          // 5 -> 261 "or"
        ("Ġw", "or"),        // 6 -> 262 "Ġwor"
        ("l", "d"),          // 7 -> 263 "ld"
        ("Ġwor", "ld"),      // 8 -> 264 "Ġworld"
        ("1", "2"),          // 9 -> 265 "12"
        ("12", "3"),         // 10 -> 266 "123"
        ("Ã", "©"),          // 11 -> 267 "Ã©" (é = C3 A9)
        ("e", "l"),          // 12 -> 268 "el"
        ("c", "a"),          // 13 -> 269 "ca"
        ("ca", "f"),         // 14 -> 270 "caf"
        ("caf", "Ã©"),       // 15 -> 271 "cafÃ©"
        ($"{ByteChar(0x80)}", "a"), // 16 -> 272: byte 0x80 (the emoji's last) + "a"
        ("ä", "¸"),          // 17 -> 273: 中 = E4 B8 AD, its first two bytes
    ];

    /// <summary>A vocabulary entry with no merge leading to it (only <c>ignore_merges</c> can produce it).</summary>
    public const int SpaceHelloId = 274;

    /// <summary>Added tokens take the ids after the 275 vocabulary entries, as HF tokenizers assigns them.</summary>
    public const int BeginOfText = 275, EndOfText = 276, EotId = 277, Mask = 278, Word = 279;

    public static JsonObject ByteLevelModel(bool ignoreMerges, bool pairMerges = false)
    {
        var vocab = new JsonObject();
        for (var b = 0; b < 256; b++) vocab[ByteChar(b).ToString()] = b;
        var merges = new JsonArray();
        for (var rank = 0; rank < ByteLevelMerges.Length; rank++)
        {
            var (left, right) = ByteLevelMerges[rank];
            vocab[left + right] = 256 + rank;
            merges.Add(pairMerges ? new JsonArray(left, right) : (JsonNode)$"{left} {right}");
        }
        vocab["Ġhello"] = SpaceHelloId;
        return new JsonObject
        {
            ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
            ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = ignoreMerges,
            ["vocab"] = vocab, ["merges"] = merges,
        };
    }

    public static JsonObject Added(int id, string content, bool special, bool lstrip = false, bool rstrip = false, bool singleWord = false, bool normalized = false) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = singleWord, ["lstrip"] = lstrip, ["rstrip"] = rstrip,
        ["normalized"] = normalized, ["special"] = special,
    };

    public static JsonObject ByteLevel(bool useRegex, bool addPrefixSpace = false) => new()
    {
        ["type"] = "ByteLevel", ["add_prefix_space"] = addPrefixSpace, ["trim_offsets"] = true, ["use_regex"] = useRegex,
    };

    public static JsonObject SplitRegex(string pattern) => new()
    {
        ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = pattern }, ["behavior"] = "Isolated", ["invert"] = false,
    };

    public static JsonObject Template(params string[] items)
    {
        var single = new JsonArray();
        var specials = new JsonObject();
        foreach (var item in items)
        {
            if (item == "$A") { single.Add(new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }); continue; }
            var (token, id) = (item.Split('=')[0], int.Parse(item.Split('=')[1]));
            single.Add(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = token, ["type_id"] = 0 } });
            specials[token] = new JsonObject { ["id"] = token, ["ids"] = new JsonArray(id), ["tokens"] = new JsonArray(token) };
        }
        return new JsonObject { ["type"] = "TemplateProcessing", ["single"] = single, ["pair"] = new JsonArray(), ["special_tokens"] = specials };
    }

    /// <summary>Llama 3's layout: Split(Llama 3 regex) + ByteLevel(use_regex false), ignore_merges, &lt;|begin_of_text|&gt; from the post-processor.</summary>
    public static JsonObject Llama3Style(bool ignoreMerges = true, bool pairMerges = false) => new()
    {
        ["version"] = "1.0",
        ["truncation"] = null,
        ["padding"] = null,
        ["added_tokens"] = new JsonArray(
            Added(BeginOfText, "<|begin_of_text|>", special: true), Added(EndOfText, "<|end_of_text|>", special: true),
            Added(EotId, "<|eot_id|>", special: true), Added(Mask, "<mask>", special: false, lstrip: true, rstrip: true),
            Added(Word, "<w>", special: false, singleWord: true)),
        ["normalizer"] = null,
        ["pre_tokenizer"] = new JsonObject { ["type"] = "Sequence", ["pretokenizers"] = new JsonArray(SplitRegex(Llama3Pattern), ByteLevel(useRegex: false)) },
        ["post_processor"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["processors"] = new JsonArray(ByteLevel(useRegex: true), Template($"<|begin_of_text|>={BeginOfText}", "$A")),
        },
        ["decoder"] = ByteLevel(useRegex: true),
        ["model"] = ByteLevelModel(ignoreMerges, pairMerges),
    };

    /// <summary>Llama 2's layout: normalizer Prepend(▁) + Replace(" ", ▁), no pre-tokenizer, byte_fallback, &lt;s&gt; from the post-processor.</summary>
    public static JsonObject Llama2Style(bool byteFallback = true)
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (var b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = 3 + b;
        string[] pieces = ["▁", "h", "e", "l", "o", "w", "r", "d"];                           // 259..266
        for (var i = 0; i < pieces.Length; i++) vocab[pieces[i]] = 259 + i;
        var merges = new JsonArray();
        string[][] mergeList =
        [
            ["h", "e"], ["l", "l"], ["he", "ll"], ["hell", "o"], ["▁", "hello"],                // 267..271
            ["▁", "w"], ["o", "r"], ["▁w", "or"], ["l", "d"], ["▁wor", "ld"],                    // 272..276
        ];
        for (var rank = 0; rank < mergeList.Length; rank++)
        {
            vocab[mergeList[rank][0] + mergeList[rank][1]] = 267 + rank;
            merges.Add($"{mergeList[rank][0]} {mergeList[rank][1]}");
        }
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(Added(0, "<unk>", special: true), Added(1, "<s>", special: true), Added(2, "</s>", special: true)),
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "▁" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "▁" }),
            },
            ["pre_tokenizer"] = null,
            ["post_processor"] = Template("<s>=1", "$A"),
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "▁" }, ["content"] = " " },
                    new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" },
                    new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = "<unk>", ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = true, ["byte_fallback"] = byteFallback, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = merges,
            },
        };
    }

    /// <summary>Writes the files (name → JSON) into a new folder.</summary>
    public static TempDirectory Write(params (string Name, JsonNode Json)[] files)
    {
        var folder = new TempDirectory();
        foreach (var (name, json) in files) File.WriteAllText(folder.File(name), json.ToJsonString());
        return folder;
    }

    public static HuggingFaceTokenizer Load(params (string Name, JsonNode Json)[] files)
    {
        using var folder = Write(files);
        return HuggingFaceTokenizer.Load(folder.Path);
    }
}
