namespace LoraSdk.Models.Gguf;

/// <summary>The llama.cpp architectures the GGUF export writes.</summary>
public enum GgufArchitecture
{
    /// <summary>
    /// <c>llama</c>: Llama 1/2/3, Mistral, SmolLM. llama.cpp rotates adjacent pairs, so q/k rows are reordered per head
    /// from HuggingFace's rotate_half layout.
    /// </summary>
    Llama,

    /// <summary><c>qwen2</c>: biases on q/k/v, NEOX (rotate_half) rotation, no reordering.</summary>
    Qwen2,
}

/// <summary>RoPE frequency scaling, as HuggingFace's <c>rope_scaling</c> describes it.</summary>
public abstract record GgufRopeScaling
{
    private protected GgufRopeScaling() { }
}

/// <summary>Linear scaling (<c>rope_type: linear</c>): positions divided by <paramref name="Factor"/>.</summary>
public sealed record GgufLinearRopeScaling(double Factor) : GgufRopeScaling;

/// <summary>
/// Llama 3 scaling (<c>rope_type: llama3</c>): frequencies whose wavelength exceeds
/// <c>OriginalMaxPositionEmbeddings / LowFreqFactor</c> are divided by <paramref name="Factor"/>, those below
/// <c>OriginalMaxPositionEmbeddings / HighFreqFactor</c> are kept, and the band between is interpolated.
/// <paramref name="OriginalMaxPositionEmbeddings"/> is read from <c>rope_scaling</c>, as transformers does.
/// </summary>
public sealed record GgufLlama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings) : GgufRopeScaling;

/// <summary>
/// A tokenizer vocabulary for llama.cpp (the <c>tokenizer.ggml.*</c> keys). llama.cpp needs one to create a context.
/// </summary>
/// <param name="Model"><c>tokenizer.ggml.model</c>: "gpt2" (byte-level BPE, needs <paramref name="Merges"/>) or "llama" (SentencePiece, uses <paramref name="Scores"/>).</param>
/// <param name="Tokens">Token texts, by id.</param>
/// <param name="TokenTypes">Per-token <see cref="GgufTokenType"/>; all <see cref="GgufTokenType.Normal"/> when null.</param>
/// <param name="Scores">Per-token scores (SentencePiece); omitted when null.</param>
/// <param name="Merges">BPE merges, "left right" each.</param>
/// <param name="PreTokenizer"><c>tokenizer.ggml.pre</c> (e.g. "llama-bpe", "qwen2", "smollm"); omitted when null.</param>
/// <param name="AddBosToken"><c>tokenizer.ggml.add_bos_token</c>; when null, written false for a model without a BOS id and omitted otherwise (llama.cpp's default for the vocabulary type applies).</param>
/// <param name="UnknownTokenId"><c>tokenizer.ggml.unknown_token_id</c>; omitted when null.</param>
/// <param name="PaddingTokenId"><c>tokenizer.ggml.padding_token_id</c>; omitted when null.</param>
/// <param name="ChatTemplate"><c>tokenizer.chat_template</c> (Jinja); omitted when null.</param>
/// <param name="AddSpacePrefix"><c>tokenizer.ggml.add_space_prefix</c> (SentencePiece's <c>add_dummy_prefix</c>); omitted when null.</param>
public sealed partial record GgufTokenizer(
    string Model,
    IReadOnlyList<string> Tokens,
    IReadOnlyList<GgufTokenType>? TokenTypes = null,
    IReadOnlyList<float>? Scores = null,
    IReadOnlyList<string>? Merges = null,
    string? PreTokenizer = null,
    bool? AddBosToken = null,
    int? UnknownTokenId = null,
    int? PaddingTokenId = null,
    string? ChatTemplate = null,
    bool? AddSpacePrefix = null);

/// <summary>llama.cpp's token types (<c>tokenizer.ggml.token_type</c>).</summary>
public enum GgufTokenType
{
    /// <summary>An ordinary token.</summary>
    Normal = 1,
    /// <summary>The unknown token.</summary>
    Unknown = 2,
    /// <summary>A control token (BOS, EOS, chat markers).</summary>
    Control = 3,
    /// <summary>A token the user added.</summary>
    UserDefined = 4,
    /// <summary>A placeholder (e.g. the padding rows of an embedding larger than the vocabulary).</summary>
    Unused = 5,
    /// <summary>A SentencePiece byte-fallback token (<c>&lt;0x0A&gt;</c>).</summary>
    Byte = 6,
}

/// <summary>
/// What the GGUF export needs to know about a decoder LLM: its HuggingFace config in llama.cpp's terms. The tensors
/// themselves come HuggingFace-named (<c>model.layers.0.self_attn.q_proj.weight</c>, …).
/// </summary>
/// <param name="Architecture">llama or qwen2.</param>
/// <param name="VocabSize">Rows of the embedding (<c>vocab_size</c>).</param>
/// <param name="HiddenSize"><c>hidden_size</c>.</param>
/// <param name="Layers"><c>num_hidden_layers</c>.</param>
/// <param name="Heads"><c>num_attention_heads</c>.</param>
/// <param name="KvHeads"><c>num_key_value_heads</c> (GQA when fewer than <paramref name="Heads"/>).</param>
/// <param name="HeadDim"><c>head_dim</c> (usually <c>hidden_size / num_attention_heads</c>).</param>
/// <param name="IntermediateSize"><c>intermediate_size</c>.</param>
/// <param name="RmsNormEps"><c>rms_norm_eps</c>.</param>
/// <param name="RopeTheta"><c>rope_theta</c>.</param>
/// <param name="RopeScaling"><c>rope_scaling</c>; null for none.</param>
/// <param name="ContextLength"><c>max_position_embeddings</c>.</param>
/// <param name="TieWordEmbeddings"><c>tie_word_embeddings</c>: no <c>output</c> tensor is written and llama.cpp reuses <c>token_embd</c>.</param>
/// <param name="BosTokenId">Beginning-of-sequence id; omitted when null.</param>
/// <param name="EosTokenId">End-of-sequence id; omitted when null.</param>
/// <param name="Tokenizer">The vocabulary: required for a model file (llama.cpp refuses one without), not read for an adapter.</param>
/// <param name="Name"><c>general.name</c>; omitted when null.</param>
/// <param name="SlidingWindow">
/// <c>sliding_window</c> (Mistral v0.1) when the model uses one; null otherwise. llama.cpp's llama and qwen2 attend to
/// the whole context, so a window shorter than <paramref name="ContextLength"/> is refused: export with
/// <c>ContextLength</c> at most the window, where both attend to the same positions.
/// </param>
public sealed record GgufModelSpec(
    GgufArchitecture Architecture,
    int VocabSize,
    int HiddenSize,
    int Layers,
    int Heads,
    int KvHeads,
    int HeadDim,
    int IntermediateSize,
    double RmsNormEps,
    double RopeTheta,
    GgufRopeScaling? RopeScaling,
    int ContextLength,
    bool TieWordEmbeddings,
    int? BosTokenId,
    int? EosTokenId,
    GgufTokenizer? Tokenizer = null,
    string? Name = null,
    int? SlidingWindow = null)
{
    /// <summary>The architecture's name in GGUF (<c>general.architecture</c> and the key prefix).</summary>
    public string ArchitectureName => Architecture switch
    {
        GgufArchitecture.Llama => "llama",
        GgufArchitecture.Qwen2 => "qwen2",
        _ => throw new ArgumentOutOfRangeException(nameof(Architecture), Architecture, "Unknown GGUF architecture."),
    };

    /// <summary>Throws a clear error for a spec llama.cpp would misread or refuse.</summary>
    internal void Validate()
    {
        static void Positive(int value, string field)
        {
            if (value <= 0) throw new ArgumentException($"GgufModelSpec.{field} must be positive (got {value}).");
        }
        Positive(VocabSize, nameof(VocabSize));
        Positive(HiddenSize, nameof(HiddenSize));
        Positive(Layers, nameof(Layers));
        Positive(Heads, nameof(Heads));
        Positive(KvHeads, nameof(KvHeads));
        Positive(HeadDim, nameof(HeadDim));
        Positive(IntermediateSize, nameof(IntermediateSize));
        Positive(ContextLength, nameof(ContextLength));
        if (Heads % KvHeads != 0)
            throw new ArgumentException($"GgufModelSpec.Heads ({Heads}) must be a multiple of KvHeads ({KvHeads}).");
        if (Architecture == GgufArchitecture.Qwen2 && (long)Heads * HeadDim != HiddenSize)
            throw new ArgumentException($"llama.cpp's qwen2 architecture needs HeadDim × Heads = HiddenSize (got {HeadDim} × {Heads} ≠ {HiddenSize}).");
        if (HeadDim % 2 != 0)
            throw new ArgumentException($"GgufModelSpec.HeadDim ({HeadDim}) must be even for rotary embeddings.");
        if (SlidingWindow is { } window && window < ContextLength)
            throw new ArgumentException($"GgufModelSpec.SlidingWindow ({window}) is shorter than ContextLength ({ContextLength}): llama.cpp's {ArchitectureName} attends to the whole context, so past the window it would differ from transformers. Export with ContextLength ≤ {window}.");
        if (!(RmsNormEps > 0)) throw new ArgumentException($"GgufModelSpec.RmsNormEps must be positive (got {RmsNormEps}).");
        if (!(RopeTheta > 0)) throw new ArgumentException($"GgufModelSpec.RopeTheta must be positive (got {RopeTheta}).");
        switch (RopeScaling)
        {
            case null: break;
            case GgufLinearRopeScaling linear when !(linear.Factor > 0):
                throw new ArgumentException($"GgufModelSpec.RopeScaling linear factor must be positive (got {linear.Factor}).");
            case GgufLlama3RopeScaling l3:
                if (Architecture != GgufArchitecture.Llama)
                    throw new ArgumentException($"Llama 3 rope scaling travels as a rope_freqs tensor, which llama.cpp reads for architecture llama only (got {ArchitectureName}).");
                if (!(l3.Factor > 0) || !(l3.LowFreqFactor > 0) || !(l3.HighFreqFactor > l3.LowFreqFactor) || l3.OriginalMaxPositionEmbeddings <= 0)
                    throw new ArgumentException($"GgufModelSpec.RopeScaling llama3 needs factor > 0, high_freq_factor > low_freq_factor > 0 and original_max_position_embeddings > 0 (got {l3}).");
                break;
        }
        foreach (var (id, field) in new[] { (BosTokenId, nameof(BosTokenId)), (EosTokenId, nameof(EosTokenId)) })
            if (id is { } v && (v < 0 || v >= VocabSize))
                throw new ArgumentException($"GgufModelSpec.{field} ({v}) is outside the vocabulary (0..{VocabSize - 1}).");
        if (Tokenizer is { } tok)
        {
            if (tok.Tokens.Count > VocabSize)
                throw new ArgumentException($"The tokenizer has {tok.Tokens.Count} tokens but the embedding has {VocabSize} rows.");
            if (tok.TokenTypes is { } types && types.Count != tok.Tokens.Count)
                throw new ArgumentException($"GgufTokenizer.TokenTypes has {types.Count} entries for {tok.Tokens.Count} tokens.");
            if (tok.Scores is { } scores && scores.Count != tok.Tokens.Count)
                throw new ArgumentException($"GgufTokenizer.Scores has {scores.Count} entries for {tok.Tokens.Count} tokens.");
            if (tok.Model == "gpt2" && tok.Merges is null)
                throw new ArgumentException("A \"gpt2\" (BPE) tokenizer needs Merges: llama.cpp refuses a BPE vocabulary without tokenizer.ggml.merges.");
        }
    }
}
