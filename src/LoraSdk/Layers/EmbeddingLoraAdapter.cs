using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// LoRA for <see cref="Embedding"/>, as PEFT: lora_embedding_A (r × num_embeddings) is looked up like an
/// embedding table, lora_embedding_B (embedding_dim × r) projects it. PEFT starts A at zeros and B normal
/// (the reverse of Linear), and applies no dropout to token ids.
/// </summary>
public sealed class EmbeddingLoraAdapter : LoraAdapter
{
    private const string AName = "lora_embedding_A";
    private const string BName = "lora_embedding_B";
    private readonly Embedding _target;

    /// <summary>Creates A and B for <paramref name="target"/>, initialised as <paramref name="options"/> say, so the adapted layer starts equal to the base layer.</summary>
    /// <param name="targetName">The target's name within its owner.</param>
    /// <param name="target">The frozen layer.</param>
    /// <param name="options">Rank, alpha, dropout, rsLoRA, initialisation.</param>
    public EmbeddingLoraAdapter(string targetName, Embedding target, LoraOptions options)
        : base(targetName, target, options)
    {
        _target = target;
        var weight = target.weight!;
        long count = weight.shape[0], dim = weight.shape[1];
        register_parameter(AName, new Parameter(zeros(options.Rank, count, dtype: weight.dtype, device: weight.device)));
        register_parameter(BName, new Parameter(zeros(dim, options.Rank, dtype: weight.dtype, device: weight.device)));
        ResetLoraParameters();
    }

    /// <inheritdoc/>
    public override LoraLayerKind Kind => LoraLayerKind.Embedding;
    /// <inheritdoc/>
    public override long InFeatures => _target.weight!.shape[0];
    /// <inheritdoc/>
    public override long OutFeatures => _target.weight!.shape[1];
    /// <inheritdoc/>
    public override Tensor BaseWeight => _target.weight!;

    // Looked up by name each time: to(dtype) replaces registered parameters, so a captured tensor goes stale.
    /// <summary>A, shape (r × vocabulary), stored as PEFT's <c>lora_embedding_A</c>.</summary>
    public Tensor LoraA => get_parameter(AName)!;
    /// <summary>B, shape (dimension × r), stored as PEFT's <c>lora_embedding_B</c>.</summary>
    public Tensor LoraB => get_parameter(BName)!;

    /// <inheritdoc/>
    public override IReadOnlyList<(string Name, Tensor Parameter)> ParameterNames =>
        WithMagnitude([(AName, LoraA), (BName, LoraB)]);

    /// <inheritdoc/>
    public override Tensor BaseForward(Tensor input) => _target.forward(input);

    /// <inheritdoc/>
    public override Tensor LowRankForward(Tensor input)
    {
        // Looks up A's columns for each id: F.embedding(x, Aᵀ) without materialising Aᵀ.
        using var aT = LoraA.t();
        using var ids = input.reshape(-1);
        using var rows = aT.index_select(0, ids);
        using var down = rows.reshape([.. input.shape, Rank]);
        using var bT = LoraB.t();
        return down.matmul(bT);
    }

    /// <inheritdoc/>
    public override Tensor DeltaWeight()
    {
        using var product = LoraB.matmul(LoraA);
        return product.t().mul(Scaling);
    }

    /// <inheritdoc/>
    private protected override Tensor BaseWithoutBias(Tensor input) => _target.forward(input);

    /// <summary>Token ids take no dropout (PEFT's embedding DoRA has none).</summary>
    private protected override bool DoraUsesDropout => false;

    /// <summary>(1, dim): m scales the table's columns, one per embedding dimension.</summary>
    private protected override long[] WeightChannelShape => [1, OutFeatures];

    /// <summary>The norm of each embedding dimension over the vocabulary (the table is the transpose of a Linear weight).</summary>
    private protected override Tensor ChannelNorm(Tensor weight)
    {
        using var squares = weight.square();
        return squares.sum(dim: 0).sqrt_();
    }

    /// <inheritdoc/>
    public override void ResetLoraParameters() => LoraInitializer.Reset(this, LoraA, LoraB, FactorLayout.Table);
}
