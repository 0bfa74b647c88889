using System.Text.Json;
using Google.Protobuf;

namespace LoraSdk.Models.Gguf;

public sealed partial record GgufTokenizer
{
    /// <summary>
    /// The vocabulary of a SentencePiece BPE <c>tokenizer.model</c> (Llama 2, Mistral, TinyLlama) as llama.cpp's
    /// <c>llama</c> vocabulary: pieces, scores (llama.cpp merges by them) and piece types by id, and
    /// <c>add_space_prefix</c> from the normalizer's <c>add_dummy_prefix</c> — what llama.cpp's converter writes.
    /// </summary>
    /// <param name="tokenizerModelPath">The SentencePiece model (a <c>ModelProto</c> protobuf).</param>
    /// <param name="tokenizerJsonPath">
    /// Optional <c>tokenizer.json</c> whose <c>added_tokens</c> extend the vocabulary past the model's pieces (chat
    /// markers); an added token with an id inside the pieces must have the same text.
    /// </param>
    /// <param name="addBosToken"><c>tokenizer.ggml.add_bos_token</c> (tokenizer_config.json's <c>add_bos_token</c>).</param>
    /// <param name="chatTemplate">tokenizer_config.json's <c>chat_template</c>.</param>
    /// <remarks>Unigram models (T5-style) tokenize differently in llama.cpp and are refused.</remarks>
    public static GgufTokenizer FromSentencePiece(string tokenizerModelPath, string? tokenizerJsonPath = null, bool? addBosToken = null, string? chatTemplate = null)
    {
        var input = new CodedInputStream(File.ReadAllBytes(tokenizerModelPath));
        var tokens = new List<string>();
        var scores = new List<float>();
        var types = new List<GgufTokenType>();
        int modelType = 1; // TrainerSpec.model_type defaults to UNIGRAM
        bool addDummyPrefix = true; // NormalizerSpec.add_dummy_prefix defaults to true
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: // ModelProto.pieces
                    var (piece, score, type) = ReadPiece(input.ReadBytes(), tokenizerModelPath, tokens.Count);
                    tokens.Add(piece);
                    scores.Add(score);
                    types.Add(type);
                    break;
                case 2: // ModelProto.trainer_spec: model_type is field 3
                    modelType = ReadVarintField(input.ReadBytes(), 3) is { } t ? (int)t : modelType;
                    break;
                case 3: // ModelProto.normalizer_spec: add_dummy_prefix is field 3
                    addDummyPrefix = ReadVarintField(input.ReadBytes(), 3) is { } p ? p != 0 : addDummyPrefix;
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
        if (tokens.Count == 0) throw new InvalidDataException($"{tokenizerModelPath}: no SentencePiece pieces; is this a tokenizer.model?");
        if (modelType != 2)
            throw new NotSupportedException($"{tokenizerModelPath}: trainer_spec.model_type is {modelType} ({(modelType == 1 ? "UNIGRAM" : "not BPE")}); llama.cpp's 'llama' vocabulary merges pieces BPE-style, so only SentencePiece BPE models convert exactly.");

        if (tokenizerJsonPath is not null) AddAddedTokens(tokenizerJsonPath, tokens, scores, types);
        int? unknown = types.IndexOf(GgufTokenType.Unknown) is var u and >= 0 ? u : null;
        return new GgufTokenizer("llama", tokens, types, scores, AddBosToken: addBosToken, UnknownTokenId: unknown,
            ChatTemplate: chatTemplate, AddSpacePrefix: addDummyPrefix);
    }

    private static (string Piece, float Score, GgufTokenType Type) ReadPiece(ByteString bytes, string path, int id)
    {
        var input = new CodedInputStream(bytes.ToByteArray());
        string? piece = null;
        float score = 0;
        int type = 1; // SentencePiece.Type defaults to NORMAL; its numbers are GGUF's token types
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: piece = input.ReadString(); break;
                case 2: score = input.ReadFloat(); break;
                case 3: type = input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }
        if (piece is null) throw new InvalidDataException($"{path}: piece {id} has no text.");
        if (type is < 1 or > 6) throw new InvalidDataException($"{path}: piece {id} ('{piece}') has unknown type {type}.");
        return (piece, score, (GgufTokenType)type);
    }

    /// <summary>The value of varint field <paramref name="field"/> in a message, or null when absent.</summary>
    private static ulong? ReadVarintField(ByteString message, int field)
    {
        var input = new CodedInputStream(message.ToByteArray());
        ulong? value = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint) value = input.ReadUInt64();
            else input.SkipLastField();
        }
        return value;
    }

    private static void AddAddedTokens(string tokenizerJsonPath, List<string> tokens, List<float> scores, List<GgufTokenType> types)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(tokenizerJsonPath));
        if (!document.RootElement.TryGetProperty("added_tokens", out var added) || added.ValueKind != JsonValueKind.Array) return;
        var extra = new SortedDictionary<int, (string Text, bool Special)>();
        foreach (JsonElement token in added.EnumerateArray())
        {
            int id = token.GetProperty("id").GetInt32();
            string text = token.GetProperty("content").GetString()!;
            bool special = token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
            if (id < tokens.Count)
            {
                if (tokens[id] != text)
                    throw new InvalidDataException($"{tokenizerJsonPath}: added token {id} is '{text}' but the SentencePiece model's piece {id} is '{tokens[id]}'.");
                continue;
            }
            extra[id] = (text, special);
        }
        foreach (var (id, (text, special)) in extra)
        {
            while (tokens.Count < id)
            {
                tokens.Add($"[PAD{tokens.Count}]");
                scores.Add(-1000f); // as llama.cpp's converter scores tokens outside the SentencePiece model
                types.Add(GgufTokenType.Unused);
            }
            tokens.Add(text);
            scores.Add(-1000f);
            types.Add(special ? GgufTokenType.Control : GgufTokenType.UserDefined);
        }
    }
}
