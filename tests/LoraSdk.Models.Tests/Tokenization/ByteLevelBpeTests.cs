using System.Text.Json.Nodes;
using static LoraSdk.Models.Tests.Tokenization.TokenizerFolders;

namespace LoraSdk.Models.Tests.Tokenization;

/// <summary>
/// Byte-level BPE as Llama 3, Qwen2 and SmolLM ship it, on the small tokenizer.json of <see cref="TokenizerFolders"/>.
/// Every expected id list is worked out by hand in the comment beside it: a byte's token id is its value (h = 0x68 =
/// 104, space → 'Ġ' = 32), merge rank r makes id 256 + r.
/// </summary>
public sealed class ByteLevelBpeTests
{
    private static HuggingFaceTokenizer Llama3(bool ignoreMerges = true, bool pairMerges = false) =>
        Load(("tokenizer.json", Llama3Style(ignoreMerges, pairMerges)),
            ("tokenizer_config.json", new JsonObject { ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|eot_id|>", ["tokenizer_class"] = "PreTrainedTokenizerFast" }),
            ("generation_config.json", new JsonObject { ["bos_token_id"] = BeginOfText, ["eos_token_id"] = new JsonArray(EndOfText, EotId) }));

    [Fact]
    public void Merges_apply_lowest_rank_first_not_leftmost_first()
    {
        var tokenizer = Llama3();
        // "ell": pairs e·l (rank 12) and l·l (rank 1). Rank 1 goes first → [e, ll]; (e, ll) has no merge.
        // Leftmost-first would have given [el, l] = [268, 108].
        Assert.Equal([0x65, 257], tokenizer.Encode("ell", addSpecialTokens: false));
        // "helloo" (not in the vocabulary as a whole): h·e (0) → [he,l,l,o,o]; l·l (1) → [he,ll,o,o];
        // he·ll (2) → [hell,o,o]; hell·o (3) → [hello,o]; nothing merges hello·o → [259, 'o' = 111].
        Assert.Equal([259, 0x6F], tokenizer.Encode("helloo", addSpecialTokens: false));
    }

    [Fact]
    public void Pair_spelled_merges_read_like_string_merges()
    {
        // tokenizers ≥ 0.20 writes merges as ["a", "b"]; the result is the same as "a b".
        Assert.Equal(Llama3().Encode("helloo world"), Llama3(pairMerges: true).Encode("helloo world"));
    }

    [Fact]
    public void Ignore_merges_takes_a_whole_word_from_the_vocabulary()
    {
        // " hello" is one regex word ([^\r\n\p{L}\p{N}]?\p{L}+), bytes "Ġhello", which is in the vocabulary (274):
        // with ignore_merges (Llama 3) it is taken whole. Without, the merges run: he (0), ll (1), hell (2), hello (3),
        // and no merge joins Ġ and hello → [Ġ = 32, hello = 259].
        Assert.Equal([SpaceHelloId], Llama3(ignoreMerges: true).Encode(" hello", addSpecialTokens: false));
        Assert.Equal([32, 259], Llama3(ignoreMerges: false).Encode(" hello", addSpecialTokens: false));
    }

    [Fact]
    public void Leading_spaces_and_newlines_split_as_the_Llama3_regex_does()
    {
        // "  hello\n\nworld" → regex words " " (\s+(?!\S) backs off one space so the next word keeps its space),
        // " hello", "\n\n" (\s*[\r\n]+), "world".
        // " " → Ġ = 32; " hello" → 274 (whole, ignore_merges); "\n\n" → Ċ Ċ = [10, 10];
        // "world": pairs w·o none, o·r (5), r·l none, l·d (7) → [w, or, l, d] → [w, or, ld]; no "w or" merge → [119, 261, 263].
        Assert.Equal([32, SpaceHelloId, 10, 10, 0x77, 261, 263], Llama3().Encode("  hello\n\nworld", addSpecialTokens: false));
        // " world" → "Ġworld" is in the vocabulary (264).
        Assert.Equal([BeginOfText, 259, 264], Llama3().Encode("hello world"));
    }

    [Fact]
    public void Digits_split_in_groups_of_three()
    {
        // \p{N}{1,3}: "12345" → "123", "45". "123": 1·2 (9) → 12, 12·3 (10) → 266. "45" has no merge → ['4' = 52, '5' = 53].
        Assert.Equal([266, 0x34, 0x35], Llama3().Encode("12345", addSpecialTokens: false));
    }

    [Fact]
    public void Contractions_match_case_insensitively()
    {
        // (?i:'s|...): "IT'S" → "IT", "'S". No merges: ['I' = 73, 'T' = 84], [''' = 39, 'S' = 83].
        Assert.Equal([0x49, 0x54, 0x27, 0x53], Llama3().Encode("IT'S", addSpecialTokens: false));
    }

    [Fact]
    public void Unicode_goes_through_the_byte_alphabet()
    {
        var tokenizer = Llama3();
        // "café" is one word (é is \p{L}); bytes c a f C3 A9 → "cafÃ©". Ã·© (11) → [c,a,f,Ã©]; c·a (13) → [ca,f,Ã©];
        // ca·f (14) → [caf,Ã©]; caf·Ã© (15) → 271.
        Assert.Equal([271], tokenizer.Encode("café", addSpecialTokens: false));
        // 中 = E4 B8 AD: ä·¸ (17) → 273, then AD alone = 173.
        Assert.Equal([273, 0xAD], tokenizer.Encode("中", addSpecialTokens: false));
        // 😀 = F0 9F 98 80 and is one code point, so "😀abc" is a single word ([^\r\n\p{L}\p{N}]?\p{L}+) and the merge
        // of its last byte 0x80 with "a" (16 → 272) applies: [F0, 9F, 98, 272, b, c]. Matching UTF-16 units instead
        // would cut "😀" | "abc" and give [240, 159, 152, 128, 97, 98, 99].
        Assert.Equal([0xF0, 0x9F, 0x98, 272, 0x62, 0x63], tokenizer.Encode("😀abc", addSpecialTokens: false));
    }

    [Fact]
    public void Decode_round_trips_unicode_and_spaces()
    {
        var tokenizer = Llama3();
        foreach (var text in new[] { "café 中 😀abc", "  hello\n\nworld", "12345 IT'S", "" })
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addSpecialTokens: false)));
        // A cut UTF-8 sequence decodes to U+FFFD, as HF's from_utf8_lossy does: F0 9F alone.
        Assert.Equal("\uFFFD", tokenizer.Decode([0xF0, 0x9F]));
    }

    [Fact]
    public void Special_tokens_inside_text_are_single_ids()
    {
        var tokenizer = Llama3();
        // "hi<|eot_id|>there": the added token is cut out first: "hi" → [h, i] = [104, 105]; 277; "there" → [t,h,e,r,e]:
        // h·e (0) → [t,he,r,e] → nothing else merges → [116, 256, 114, 101].
        Assert.Equal([0x68, 0x69, EotId, 0x74, 256, 0x72, 0x65], tokenizer.Encode("hi<|eot_id|>there", addSpecialTokens: false));
        Assert.Equal("hi<|eot_id|>there", tokenizer.Decode([0x68, 0x69, EotId, 0x74, 256, 0x72, 0x65]));
        Assert.Equal("hithere", tokenizer.Decode([0x68, 0x69, EotId, 0x74, 256, 0x72, 0x65], skipSpecialTokens: true));
    }

    [Fact]
    public void Lstrip_and_rstrip_swallow_the_spaces_beside_an_added_token()
    {
        // "<mask>" has lstrip and rstrip: in "a <mask> b" it takes " <mask> ", leaving "a" and "b".
        Assert.Equal([0x61, Mask, 0x62], Llama3().Encode("a <mask> b", addSpecialTokens: false));
        // Not special, so skipSpecialTokens keeps it; the swallowed spaces are gone for good, as in HF.
        Assert.Equal("a<mask>b", Llama3().Decode([0x61, Mask, 0x62], skipSpecialTokens: true));
    }

    [Fact]
    public void Single_word_tokens_match_only_between_non_word_characters()
    {
        // "<w>" is single_word: in "x<w> <w>" the first follows "x" (a word character) and is not taken; the second is.
        // "x<w> " then splits by the regex into "x", "<w" ([^\r\n\p{L}\p{N}]?\p{L}+), ">", " " → [120], [60, 119], [62], [32].
        Assert.Equal([0x78, 0x3C, 0x77, 0x3E, 32, Word], Llama3().Encode("x<w> <w>", addSpecialTokens: false));
    }

    [Fact]
    public void Special_tokens_follow_the_post_processor_and_configs()
    {
        var tokenizer = Llama3();
        // TemplateProcessing puts <|begin_of_text|> first; nothing at the end.
        Assert.Equal([BeginOfText, 259], tokenizer.Encode("hello"));
        Assert.Equal([BeginOfText], tokenizer.Encode(""));
        Assert.Empty(tokenizer.Encode("", addSpecialTokens: false));
        Assert.Equal(BeginOfText, tokenizer.BosTokenId);
        Assert.Equal("<|begin_of_text|>", tokenizer.BosToken);
        // eos_token first, then generation_config.json's extra ids.
        Assert.Equal([EotId, EndOfText], tokenizer.EosTokenIds);
        Assert.Null(tokenizer.PadTokenId);
        Assert.Equal(256 + ByteLevelMerges.Length + 1 + 5, tokenizer.VocabularySize);
        Assert.Equal(271, tokenizer.TokenToId("cafÃ©"));
        Assert.Equal("<|eot_id|>", tokenizer.IdToToken(EotId));
        Assert.Null(tokenizer.IdToToken(280));
        Assert.True(tokenizer.IsSpecialToken(EotId));
        Assert.False(tokenizer.IsSpecialToken(Mask));
    }

    [Fact]
    public void Clean_up_tokenization_spaces_applies_only_when_the_config_sets_it()
    {
        // "a ." → regex words "a", " ." → [97], [Ġ = 32, '.' = 46]; decoded "a .", which transformers cleans to "a."
        // when clean_up_tokenization_spaces is true (Llama 3's tokenizer_config sets it).
        int[] ids = [0x61, 32, 0x2E];
        Assert.Equal(ids, Llama3().Encode("a .", addSpecialTokens: false));
        Assert.Equal("a .", Llama3().Decode(ids));
        var cleaning = Load(("tokenizer.json", Llama3Style()), ("tokenizer_config.json", new JsonObject { ["clean_up_tokenization_spaces"] = true }));
        Assert.Equal("a.", cleaning.Decode(ids));
    }

    [Fact]
    public void Qwen2_layout_normalizes_NFC_splits_single_digits_and_adds_no_bos()
    {
        var json = Llama3Style(ignoreMerges: false);
        json["normalizer"] = new JsonObject { ["type"] = "NFC" };
        json["pre_tokenizer"] = new JsonObject { ["type"] = "Sequence", ["pretokenizers"] = new JsonArray(SplitRegex(Qwen2Pattern), ByteLevel(useRegex: false)) };
        json["post_processor"] = ByteLevel(useRegex: false);
        json["added_tokens"] = new JsonArray(Added(275, "<|endoftext|>", special: true), Added(276, "<|im_start|>", special: true), Added(277, "<|im_end|>", special: true));
        var tokenizer = Load(("tokenizer.json", json),
            ("tokenizer_config.json", new JsonObject { ["bos_token"] = null, ["eos_token"] = "<|im_end|>", ["pad_token"] = "<|endoftext|>", ["tokenizer_class"] = "Qwen2Tokenizer", ["add_bos_token"] = false }),
            ("generation_config.json", new JsonObject { ["eos_token_id"] = new JsonArray(277, 275) }));

        // "e" + U+0301 composes to é under NFC, then as "café" above: 271.
        Assert.Equal([271], tokenizer.Encode("cafe\u0301"));
        // \p{N} one digit at a time: "123" → [49, 50, 51] although 1·2 and 12·3 are merges.
        Assert.Equal([0x31, 0x32, 0x33], tokenizer.Encode("123"));
        Assert.Null(tokenizer.BosTokenId);
        Assert.Equal([277, 275], tokenizer.EosTokenIds);
        Assert.Equal(275, tokenizer.PadTokenId);
        Assert.Equal((false, false), tokenizer.AddsSpecialTokens);
    }

    [Fact]
    public void SmolLM_layout_splits_digits_then_runs_the_GPT2_regex()
    {
        var json = Llama3Style(ignoreMerges: false);
        json["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(new JsonObject { ["type"] = "Digits", ["individual_digits"] = true }, ByteLevel(useRegex: true)),
        };
        json["post_processor"] = ByteLevel(useRegex: false);
        var tokenizer = Load(("tokenizer.json", json));
        // Digits: "hello world " | "2" | "0" | "2" | "4". GPT-2's regex on the first: "hello", " world", " ".
        // "hello" → 259 by merges 0-3. "Ġworld": Ġ·w (4) → [Ġw,o,r,l,d]; o·r (5) → [Ġw,or,l,d]; Ġw·or (6) beats l·d (7)
        // → [Ġwor,l,d]; l·d → [Ġwor,ld]; Ġwor·ld (8) → 264. " " → 32. Digits alone → [50, 48, 50, 52].
        Assert.Equal([259, 264, 32, 0x32, 0x30, 0x32, 0x34], tokenizer.Encode("hello world 2024"));
    }

    [Fact]
    public void ByteLevel_prefix_space_goes_before_each_piece_between_added_tokens()
    {
        var json = Llama3Style(ignoreMerges: true);
        json["pre_tokenizer"] = ByteLevel(useRegex: true, addPrefixSpace: true);
        var tokenizer = Load(("tokenizer.json", json));
        // add_prefix_space: "hello" → " hello" → "Ġhello" (274); after <|eot_id|>, "hello" again gets its space.
        Assert.Equal([SpaceHelloId, EotId, SpaceHelloId], tokenizer.Encode("hello<|eot_id|>hello", addSpecialTokens: false));
    }

    [Fact]
    public void Unpaired_surrogates_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => Llama3().Encode("a\uD800b"));
        Assert.Contains("unpaired UTF-16 surrogate at index 1", error.Message);
    }
}
