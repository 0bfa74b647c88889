namespace LoraSdk.Models;

/// <summary>
/// The shape and numerics of a Llama-family decoder (Llama, Mistral, Qwen2, SmolLM), as read from a HuggingFace
/// <c>config.json</c> by <see cref="CausalLM.Load"/> (transformers 4.x and 5.x spellings; see docs/models.md), or
/// written by hand for a randomly initialised model. Property names are LoraSdk's; each says which key it comes from.
/// </summary>
public sealed record DecoderConfig
{
    /// <summary><c>model_type</c>: "llama", "mistral" or "qwen2".</summary>
    public string ModelType { get; init; } = "llama";
    /// <summary><c>vocab_size</c>.</summary>
    public required int VocabSize { get; init; }
    /// <summary><c>hidden_size</c>.</summary>
    public required int HiddenSize { get; init; }
    /// <summary><c>intermediate_size</c> (the SwiGLU MLP's inner width).</summary>
    public required int IntermediateSize { get; init; }
    /// <summary><c>num_hidden_layers</c>.</summary>
    public required int NumLayers { get; init; }
    /// <summary><c>num_attention_heads</c>.</summary>
    public required int NumHeads { get; init; }
    /// <summary><c>num_key_value_heads</c> (grouped-query attention; missing in the file = <see cref="NumHeads"/>).</summary>
    public required int NumKeyValueHeads { get; init; }
    /// <summary><c>head_dim</c> (missing = hidden_size / num_attention_heads).</summary>
    public required int HeadDim { get; init; }
    /// <summary><c>rms_norm_eps</c>.</summary>
    public double RmsNormEps { get; init; } = 1e-6;
    /// <summary><c>rope_theta</c> (5.x: <c>rope_parameters.rope_theta</c>).</summary>
    public double RopeTheta { get; init; } = 10000;
    /// <summary><c>rope_scaling</c> (5.x: <c>rope_parameters</c>) when it rescales; null for plain RoPE.</summary>
    public RopeScaling? RopeScaling { get; init; }
    /// <summary><c>max_position_embeddings</c>.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary><c>tie_word_embeddings</c>: lm_head shares embed_tokens' weight.</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>q/k/v projections have a bias (Qwen2 always; Llama/Mistral: <c>attention_bias</c>).</summary>
    public bool QkvBias { get; init; }
    /// <summary>o_proj has a bias (Llama's <c>attention_bias</c>; never for Qwen2).</summary>
    public bool OutputBias { get; init; }
    /// <summary><c>mlp_bias</c> (Llama): gate/up/down have a bias.</summary>
    public bool MlpBias { get; init; }
    /// <summary>
    /// The sliding attention window when one is in force (Mistral's <c>sliding_window</c>, Qwen2's with
    /// <c>use_sliding_window: true</c>), else null. LoraSdk has no sliding-window attention: sequences up to this many
    /// positions are exact (the window covers them), longer ones are refused at run time.
    /// </summary>
    public int? SlidingWindow { get; init; }
    /// <summary><c>torch_dtype</c> (5.x: <c>dtype</c>): the checkpoint's storage type, for information.</summary>
    public string? StoredDType { get; init; }
    /// <summary><c>bos_token_id</c>.</summary>
    public int? BosTokenId { get; init; }
    /// <summary><c>eos_token_id</c> (an int or a list in the file).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary><c>pad_token_id</c>.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>Query heads per key/value head.</summary>
    public int HeadsPerKeyValue => NumHeads / NumKeyValueHeads;

    /// <summary>The problems that make the config unusable (sizes that do not divide), each as (property, message).</summary>
    internal IEnumerable<(string Key, string Message)> Problems()
    {
        foreach (var (key, value) in new[] { ("vocab_size", VocabSize), ("hidden_size", HiddenSize), ("intermediate_size", IntermediateSize),
                     ("num_hidden_layers", NumLayers), ("num_attention_heads", NumHeads), ("num_key_value_heads", NumKeyValueHeads), ("head_dim", HeadDim) })
            if (value <= 0) yield return (key, $"must be positive, is {value}.");
        if (NumKeyValueHeads > 0 && NumHeads % NumKeyValueHeads != 0)
            yield return ("num_key_value_heads", $"{NumKeyValueHeads} does not divide num_attention_heads {NumHeads}.");
        if (HeadDim % 2 != 0) yield return ("head_dim", $"{HeadDim} is odd; rotary embeddings rotate pairs.");
        if (RmsNormEps <= 0 || !double.IsFinite(RmsNormEps)) yield return ("rms_norm_eps", $"must be a positive number, is {RmsNormEps}.");
        if (RopeTheta <= 0 || !double.IsFinite(RopeTheta)) yield return ("rope_theta", $"must be a positive number, is {RopeTheta}.");
    }
}

/// <summary><c>generation_config.json</c>'s ids (or config.json's where the file is absent).</summary>
/// <param name="BosTokenId"><c>bos_token_id</c>.</param>
/// <param name="EosTokenIds"><c>eos_token_id</c>: an int or a list in the file; generation stops at any of them.</param>
/// <param name="PadTokenId"><c>pad_token_id</c>.</param>
public sealed record DecoderGenerationConfig(int? BosTokenId, IReadOnlyList<int> EosTokenIds, int? PadTokenId);
