using Google.Protobuf;
using LoraSdk.Models.Gguf;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>A SentencePiece BPE tokenizer.model converted to llama.cpp's 'llama' vocabulary, checked by llama.cpp's own tokenizer.</summary>
public sealed class SentencePieceTokenizerTests
{
    // Merged pieces, best score first: llama.cpp merges the adjacent pair whose result scores highest.
    private static readonly (string Piece, float Score)[] Merged =
        [("▁h", -1), ("bc", -1.5f), ("ll", -2), ("ab", -2.5f), ("▁he", -3), ("▁hell", -4), ("▁hello", -5), ("or", -6), ("▁w", -7), ("▁wor", -8)];
    private static readonly string Characters = "▁helowrdabc";

    [Fact]
    public void Llama_cpp_tokenizes_with_the_converted_pieces_by_their_scores()
    {
        using var dir = new TempDirectory();
        string model = dir.File("tokenizer.model"), json = dir.File("tokenizer.json");
        File.WriteAllBytes(model, SentencePieceModel(bpe: true));
        File.WriteAllText(json, """{"added_tokens": [{"id": 2, "content": "</s>", "special": true}, {"id": 280, "content": "<|im_end|>", "special": true}]}""");
        GgufTokenizer tokenizer = GgufTokenizer.FromSentencePiece(model, json, addBosToken: true);

        Assert.Equal("llama", tokenizer.Model);
        Assert.Equal(281, tokenizer.Tokens.Count); // 3 specials, 256 bytes, 11 characters, 10 merges, the added token
        Assert.Equal(("<0x41>", GgufTokenType.Byte), (tokenizer.Tokens[3 + 0x41], tokenizer.TokenTypes![3 + 0x41]));
        Assert.Equal(("<|im_end|>", GgufTokenType.Control), (tokenizer.Tokens[280], tokenizer.TokenTypes![280]));
        Assert.Equal(0, tokenizer.UnknownTokenId);
        Assert.True(tokenizer.AddSpacePrefix);

        var (spec, weights) = LlamaCppParityTests.Model("llama-gqa");
        string path = dir.File("m.gguf");
        GgufModelExport.WriteModel(path, spec with { Tokenizer = tokenizer }, weights, GgufTensorType.F32);
        using var llama = LlamaCppModel.Load(path);
        int Id(string piece) => tokenizer.Tokens.ToList().IndexOf(piece);
        // "hello world" -> "▁hello▁world": ▁h, ll, ▁he, ▁hell, ▁hello, or, ▁w, ▁wor merge in score order; l, d stay.
        Assert.Equal(new[] { Id("▁hello"), Id("▁wor"), Id("l"), Id("d") }, llama.Tokenize("hello world"));
        // "abc": "bc" outscores "ab", though "ab" is further left (equal or misread scores would merge "ab").
        Assert.Equal(new[] { Id("▁"), Id("a"), Id("bc") }, llama.Tokenize("abc"));
        // Not in the vocabulary: byte fallback. BOS added as the tokenizer says.
        Assert.Equal(new[] { 1, Id("▁"), 3 + 0xC3, 3 + 0xA9, 280 }, llama.Tokenize("é<|im_end|>", addSpecial: true));
    }

    [Fact]
    public void Unigram_models_and_mismatched_added_tokens_are_refused()
    {
        using var dir = new TempDirectory();
        string model = dir.File("tokenizer.model"), json = dir.File("tokenizer.json");
        File.WriteAllBytes(model, SentencePieceModel(bpe: false));
        Assert.Contains("UNIGRAM", Assert.Throws<NotSupportedException>(() => GgufTokenizer.FromSentencePiece(model)).Message);
        File.WriteAllBytes(model, SentencePieceModel(bpe: true));
        File.WriteAllText(json, """{"added_tokens": [{"id": 2, "content": "<eos>", "special": true}]}""");
        Assert.Contains("piece 2 is '</s>'", Assert.Throws<InvalidDataException>(() => GgufTokenizer.FromSentencePiece(model, json)).Message);
    }

    /// <summary>A SentencePiece ModelProto: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, 256 byte pieces, characters and merged pieces.</summary>
    private static byte[] SentencePieceModel(bool bpe)
    {
        var pieces = new List<(string Piece, float Score, int Type)> { ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3) };
        pieces.AddRange(Enumerable.Range(0, 256).Select(b => ($"<0x{b:X2}>", 0f, 6)));
        pieces.AddRange(Characters.Select((c, i) => (c.ToString(), -20f - i, 1)));
        pieces.AddRange(Merged.Select(m => (m.Piece, m.Score, 1)));

        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        foreach (var (piece, score, type) in pieces)
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(Message(o =>
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(piece);
                o.WriteTag(2, WireFormat.WireType.Fixed32); o.WriteFloat(score);
                o.WriteTag(3, WireFormat.WireType.Varint); o.WriteEnum(type);
            }));
        }
        output.WriteTag(2, WireFormat.WireType.LengthDelimited); // trainer_spec.model_type: BPE = 2, UNIGRAM = 1
        output.WriteBytes(Message(o => { o.WriteTag(3, WireFormat.WireType.Varint); o.WriteEnum(bpe ? 2 : 1); }));
        output.WriteTag(3, WireFormat.WireType.LengthDelimited); // normalizer_spec.add_dummy_prefix
        output.WriteBytes(Message(o => { o.WriteTag(3, WireFormat.WireType.Varint); o.WriteBool(true); }));
        output.Flush();
        return buffer.ToArray();
    }

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return ByteString.CopyFrom(buffer.ToArray());
    }
}
