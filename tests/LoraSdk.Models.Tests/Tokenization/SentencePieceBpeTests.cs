using System.Text.Json.Nodes;
using static LoraSdk.Models.Tests.Tokenization.TokenizerFolders;

namespace LoraSdk.Models.Tests.Tokenization;

/// <summary>
/// SentencePiece-style BPE in tokenizer.json as Llama 2 and Mistral ship it (▁ for spaces, byte_fallback to
/// &lt;0xHH&gt; = id 3 + byte), on <see cref="TokenizerFolders.Llama2Style"/>; ids worked out by hand beside each test.
/// Pieces: ▁ 259, h 260, e 261, l 262, o 263, w 264, r 265, d 266; merges (rank → id): h·e 0 → 267, l·l 1 → 268,
/// he·ll 2 → 269, hell·o 3 → 270, ▁·hello 4 → 271, ▁·w 5 → 272, o·r 6 → 273, ▁w·or 7 → 274, l·d 8 → 275, ▁wor·ld 9 → 276.
/// </summary>
public sealed class SentencePieceBpeTests
{
    private static JsonObject LlamaConfig(bool? addBos = null, bool? addEos = null)
    {
        var config = new JsonObject
        {
            ["tokenizer_class"] = "LlamaTokenizer", ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["unk_token"] = "<unk>",
            ["clean_up_tokenization_spaces"] = false,
        };
        if (addBos is { } bos) config["add_bos_token"] = bos;
        if (addEos is { } eos) config["add_eos_token"] = eos;
        return config;
    }

    private static HuggingFaceTokenizer Llama2(bool? addBos = null, bool? addEos = null) =>
        Load(("tokenizer.json", Llama2Style()), ("tokenizer_config.json", LlamaConfig(addBos, addEos)));

    [Fact]
    public void Words_get_the_prepended_meta_space_and_merge_by_rank()
    {
        // "hello world" → Prepend → "▁hello world" → Replace → "▁hello▁world", one word (no pre-tokenizer).
        // [▁,h,e,l,l,o,▁,w,o,r,l,d]: h·e (0) → l·l (1; the later l·d is rank 8) → he·ll (2) → hell·o (3) → ▁·hello (4)
        // → ▁·w (5) → o·r (6) → ▁w·or (7) → l·d (8) → ▁wor·ld (9) → [▁hello, ▁world] = [271, 276]; <s> = 1 first.
        Assert.Equal([1, 271, 276], Llama2().Encode("hello world"));
        Assert.Equal([271, 276], Llama2().Encode("hello world", addSpecialTokens: false));
    }

    [Fact]
    public void Characters_missing_from_the_vocabulary_fall_back_to_bytes()
    {
        // "hé\n" → "▁hé\n": ▁ 259, h 260, é = C3 A9 → <0xC3> <0xA9> = 3+195, 3+169; "\n" → <0x0A> = 13. No merge applies.
        Assert.Equal([259, 260, 198, 172, 13], Llama2().Encode("hé\n", addSpecialTokens: false));
        // "—" (U+2014) = E2 80 94 → [3+0xE2, 3+0x80, 3+0x94]; with the ▁ first.
        Assert.Equal([259, 229, 131, 151], Llama2().Encode("—", addSpecialTokens: false));
    }

    [Fact]
    public void Decode_joins_byte_tokens_and_strips_the_first_space()
    {
        var tokenizer = Llama2();
        // Replace ▁ → " ", ByteFallback (<0xC3><0xA9> → é, <0x0A> → \n), Fuse → " hé\n", Strip one leading space.
        Assert.Equal("hé\n", tokenizer.Decode([259, 260, 198, 172, 13]));
        Assert.Equal("hello world", tokenizer.Decode([1, 271, 276], skipSpecialTokens: true));
        // With <s> kept, the text starts with "<s>", so Strip has no space to take (as HF: "<s> hello world").
        Assert.Equal("<s> hello world", tokenizer.Decode([1, 271, 276]));
        // A byte run that is not UTF-8 becomes one U+FFFD per byte: <0xE2><0x80> then "h".
        Assert.Equal("\uFFFD\uFFFDh", tokenizer.Decode([229, 131, 260]));
    }

    [Fact]
    public void Special_tokens_in_text_are_cut_before_the_normalizer()
    {
        // "<s>hi" → "<s>" (1) then "hi" → "▁hi": ▁ 259, h 260, i → <0x69> = 3+105 = 108.
        Assert.Equal([1, 1, 259, 260, 108], Llama2().Encode("<s>hi"));
    }

    [Fact]
    public void Llama_tokenizer_class_takes_bos_and_eos_from_tokenizer_config()
    {
        // transformers' LlamaTokenizerFast rebuilds the post-processor from add_bos_token / add_eos_token.
        Assert.Equal([271, 276], Llama2(addBos: false).Encode("hello world"));
        Assert.Equal([1, 271, 276, 2], Llama2(addEos: true).Encode("hello world"));
        Assert.Equal((true, true), Llama2(addEos: true).AddsSpecialTokens);
        Assert.Equal([2], Llama2().EosTokenIds);
    }

    [Fact]
    public void Without_byte_fallback_unknown_characters_fuse_into_one_unk()
    {
        var tokenizer = Load(("tokenizer.json", Llama2Style(byteFallback: false)), ("tokenizer_config.json", LlamaConfig()));
        // "hzzo" → "▁hzzo": ▁, h, z, z, o; z is not a piece: the two fuse (fuse_unk) into one <unk> (0). No merges apply.
        Assert.Equal([259, 260, 0, 263], tokenizer.Encode("hzzo", addSpecialTokens: false));
    }

    [Fact]
    public void Metaspace_pre_tokenizer_prepends_only_at_the_start_of_the_text()
    {
        var json = Llama2Style();
        json["normalizer"] = null;
        json["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "first", ["split"] = false };
        json["decoder"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "first", ["split"] = false };
        var tokenizer = Load(("tokenizer.json", json), ("tokenizer_config.json", LlamaConfig()));
        // "hello world" → "hello▁world" → ▁ prepended (the piece starts the text) → same merges as above.
        Assert.Equal([1, 271, 276], tokenizer.Encode("hello world"));
        // After "<s>" the piece does not start the text: "hello▁world" without ▁ first: h·e, l·l, he·ll, hell·o → hello;
        // ▁·w, o·r, ▁w·or, l·d, ▁wor·ld → [hello, ▁world] = [270, 276].
        Assert.Equal([1, 270, 276], tokenizer.Encode("<s>hello world", addSpecialTokens: false));
        // The decoder turns ▁ into spaces but drops them in the first token.
        Assert.Equal("hello world", tokenizer.Decode([271, 276]));

        json["pre_tokenizer"]!["split"] = true;
        json["pre_tokenizer"]!["prepend_scheme"] = "always";
        var splitting = Load(("tokenizer.json", json), ("tokenizer_config.json", LlamaConfig()));
        // split: "▁hello▁world" → "▁hello" | "▁world" (merged with next); "always" prepends after "<s>" too.
        Assert.Equal([1, 271, 276], splitting.Encode("<s>hello world", addSpecialTokens: false));
    }

    [Fact]
    public void Streamed_pieces_keep_spaces_and_whole_characters()
    {
        var tokenizer = Llama2();
        var stream = tokenizer.CreateStreamDecoder();
        // <s>, ▁hello, ▁world, then é as <0xC3> <0xA9>: decoding ▁world alone would strip its space, and <0xC3> alone is
        // half a character, so the pieces are "", "hello", " world", "" (held back), "é".
        int[] ids = [1, 271, 276, 198, 172];
        Assert.Equal(["", "hello", " world", "", "é"], ids.Select(stream.Push).ToArray());
    }
}
