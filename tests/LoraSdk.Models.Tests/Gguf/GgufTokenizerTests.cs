using System.Text.Json;
using LoraSdk.Models.Gguf;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>A HuggingFace byte-level BPE tokenizer.json converted to llama.cpp's vocabulary, checked by llama.cpp's own tokenizer.</summary>
public sealed class GgufTokenizerTests
{
    private static readonly string[] MergeList = ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d"];

    [Fact]
    public void Llama_cpp_tokenizes_with_the_converted_vocabulary_as_the_bpe_merges_say()
    {
        using var dir = new TempDirectory();
        string json = dir.File("tokenizer.json");
        File.WriteAllText(json, TokenizerJson(byteFallback: false, mergesAsPairs: true));
        GgufTokenizer tokenizer = GgufTokenizer.FromTokenizerJson(json, "gpt-2"); // add_bos_token left to the spec: no BOS id

        Assert.Equal(267, tokenizer.Tokens.Count); // 256 bytes, 9 merges, a gap at 265, the added token at 266
        Assert.Equal("Ġworld", tokenizer.Tokens[264]);
        Assert.Equal(("[PAD265]", GgufTokenType.Unused), (tokenizer.Tokens[265], tokenizer.TokenTypes![265]));
        Assert.Equal(("<|endoftext|>", GgufTokenType.Control), (tokenizer.Tokens[266], tokenizer.TokenTypes![266]));
        Assert.Equal(MergeList, tokenizer.Merges);

        var (spec, weights) = LlamaCppParityTests.Model("qwen2-tied-bias");
        string path = dir.File("m.gguf");
        GgufModelExport.WriteModel(path, spec with { Tokenizer = tokenizer, EosTokenId = 266 }, weights, GgufTensorType.F32);
        using var llama = LlamaCppModel.Load(path);
        int Byte(char c) => ByteLevelAlphabet().IndexOf(c);
        Assert.Equal(new[] { 259, 264 }, llama.Tokenize("hello world"));
        Assert.Equal(new[] { 258, Byte('p'), 266 }, llama.Tokenize("hellp<|endoftext|>"));
        // "é" is the bytes C3 A9, byte-level characters 'Ã' and '©'.
        Assert.Equal(new[] { Byte('Ã'), Byte('©'), 262 }, llama.Tokenize("é wor"));
        // No BOS id in the spec (Qwen2): the file says not to add one, and llama.cpp adds none.
        Assert.Equal((7u, (object)false), GgufTestReader.Read(path).Metadata["tokenizer.ggml.add_bos_token"]);
        Assert.Equal(new[] { 259, 264 }, llama.Tokenize("hello world", addSpecial: true));
    }

    [Fact]
    public void A_bos_id_is_prepended_when_the_tokenizer_adds_one()
    {
        using var dir = new TempDirectory();
        string json = dir.File("tokenizer.json");
        File.WriteAllText(json, TokenizerJson(byteFallback: false, mergesAsPairs: false));
        var (spec, weights) = LlamaCppParityTests.Model("qwen2-tied-bias");
        string path = dir.File("m.gguf");
        GgufTokenizer tokenizer = GgufTokenizer.FromTokenizerJson(json, "gpt-2", addBosToken: true);
        GgufModelExport.WriteModel(path, spec with { Tokenizer = tokenizer, BosTokenId = 266, EosTokenId = 266 }, weights, GgufTensorType.F32);
        using var llama = LlamaCppModel.Load(path);
        Assert.Equal(new[] { 266, 259, 264 }, llama.Tokenize("hello world", addSpecial: true));
    }

    [Fact]
    public void Vocabularies_llama_cpp_would_tokenize_differently_are_refused()
    {
        using var dir = new TempDirectory();
        string json = dir.File("tokenizer.json");
        File.WriteAllText(json, TokenizerJson(byteFallback: true, mergesAsPairs: false));
        Assert.Contains("byte_fallback", Assert.Throws<NotSupportedException>(() => GgufTokenizer.FromTokenizerJson(json, "gpt-2")).Message);
        File.WriteAllText(json, """{"model": {"type": "WordPiece", "vocab": {"a": 0}}}""");
        Assert.Contains("WordPiece", Assert.Throws<NotSupportedException>(() => GgufTokenizer.FromTokenizerJson(json, "gpt-2")).Message);
        File.WriteAllText(json, """{"pre_tokenizer": {"type": "Whitespace"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""");
        Assert.Contains("ByteLevel", Assert.Throws<NotSupportedException>(() => GgufTokenizer.FromTokenizerJson(json, "gpt-2")).Message);
    }

    /// <summary>GPT-2's byte-to-character map, in its vocabulary order (printable bytes first, the rest from U+0100).</summary>
    private static List<char> ByteLevelAlphabet()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToList();
        var chars = printable.Select(b => (char)b).ToList();
        int next = 256;
        for (int b = 0; b < 256; b++)
            if (!printable.Contains(b)) chars.Add((char)next++);
        return chars;
    }

    private static string TokenizerJson(bool byteFallback, bool mergesAsPairs)
    {
        var vocab = ByteLevelAlphabet().Select((c, i) => (Text: c.ToString(), Id: i)).ToList();
        string[] merged = ["he", "ll", "hell", "hello", "Ġw", "or", "Ġwor", "Ġworl", "Ġworld"];
        vocab.AddRange(merged.Select((t, i) => (t, 256 + i)));
        var document = new Dictionary<string, object>
        {
            ["added_tokens"] = new[] { new Dictionary<string, object> { ["id"] = 266, ["content"] = "<|endoftext|>", ["special"] = true } },
            ["pre_tokenizer"] = new Dictionary<string, object>
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new object[] { new Dictionary<string, object> { ["type"] = "Split" }, new Dictionary<string, object> { ["type"] = "ByteLevel" } },
            },
            ["model"] = new Dictionary<string, object>
            {
                ["type"] = "BPE",
                ["byte_fallback"] = byteFallback,
                ["vocab"] = vocab.ToDictionary(v => v.Text, v => v.Id),
                ["merges"] = mergesAsPairs ? MergeList.Select(m => m.Split(' ')).ToArray() : MergeList,
            },
        };
        return JsonSerializer.Serialize(document);
    }
}
