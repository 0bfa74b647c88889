using LoraSdk.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// The decoder stack without its head (HuggingFace's <c>model</c>: <c>embed_tokens</c>, <c>layers.N</c>, <c>norm</c>).
/// Frees memory per layer: each block runs in its own dispose scope, as BertEncoder does (DESIGN.md's memory facts).
/// </summary>
public sealed class DecoderModel : nn.Module
{
#pragma warning disable IDE1006 // HuggingFace's module names are the state-dict and adapter keys
    private readonly Embedding embed_tokens;
    private readonly ModuleList<DecoderLayer> layers;
    private readonly RmsNorm norm;
#pragma warning restore IDE1006
    private readonly DecoderConfig _config;
    private readonly RotaryEmbedding _rotary;

    /// <summary>
    /// Creates the stack, building layer i with <paramref name="buildLayer"/> (the loader fills each with its weights as
    /// it goes); <paramref name="initialise"/> false leaves the embedding uninitialised, for a loader that overwrites it.
    /// </summary>
    internal DecoderModel(DecoderConfig config, Func<int, DecoderLayer> buildLayer, bool initialise = true) : base("model")
    {
        _config = config;
        _rotary = new RotaryEmbedding(config);
        embed_tokens = DecoderWeights.Embedding(config.VocabSize, config.HiddenSize, initialise);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(buildLayer).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
        foreach (var parameter in embed_tokens.parameters()) parameter.requires_grad = false;
    }

    /// <summary>The token embedding (also the output head when embeddings are tied).</summary>
    public Embedding EmbedTokens => embed_tokens;

    /// <summary>
    /// Recompute each layer in backward instead of keeping its activations (<see cref="CheckpointedLayer"/>): while a
    /// graph is recorded, activation memory then grows with one layer rather than all of them, for about one more
    /// forward pass of compute. Off by default; generation and evaluation (no graph) are unaffected.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>The blocks in order.</summary>
    public IReadOnlyList<DecoderLayer> Layers => [.. layers];

    /// <summary>
    /// Final hidden states (batch × t × hidden) for <paramref name="ids"/> (batch × t), attending to the cached
    /// positions of <paramref name="caches"/> (one per layer) when given.
    /// </summary>
    /// <param name="ids">Token ids (int64).</param>
    /// <param name="mask">(batch × (past + t)) bool: true for real tokens, false for left padding.</param>
    /// <param name="past">Positions already in the caches.</param>
    /// <param name="caches">One per layer, or null for a forward without a cache.</param>
    internal Tensor Forward(Tensor ids, Tensor mask, long past, IReadOnlyList<LayerKeyValues>? caches)
    {
        long t = ids.shape[1], total = past + t;
        if (_config.SlidingWindow is { } window && total > window)
            throw new InvalidOperationException(
                $"The sequence has {total} positions, more than the config's sliding_window ({window}); LoraSdk has no sliding-window attention, " +
                "so it computes sequences of up to sliding_window positions only (within the window, full attention is exact).");
        var dtype = embed_tokens.weight!.dtype;
        Tensor hidden, cos, sin, additive;
        using (var setup = NewDisposeScope())
        {
            // Positions count real tokens (transformers' generate with left padding): a padded row equals the prompt alone.
            var positions = mask.to_type(ScalarType.Int64).cumsum(-1).sub_(1).masked_fill_(mask.logical_not(), 1).narrow(1, past, t);
            (cos, sin) = _rotary.Angles(positions, dtype);
            var keys = arange(total, device: ids.device).unsqueeze(0);
            var queries = (arange(t, device: ids.device) + past).unsqueeze(1);
            var causal = keys <= queries; // t × total
            // A padding query attends to itself, so no row is fully masked (such a row's softmax would depend on how
            // the mask value rounds in the dtype, and a NaN there would reach real tokens as 0 · NaN). Real tokens are unaffected.
            var allowed = causal.unsqueeze(0).logical_and(mask.unsqueeze(1)).logical_or((keys == queries).unsqueeze(0)).unsqueeze(1); // batch × 1 × t × total
            additive = zeros(allowed.shape, dtype, ids.device).masked_fill_(allowed.logical_not(), MostNegative(dtype));
            hidden = embed_tokens.call(ids);
            foreach (var kept in new[] { cos, sin, additive, hidden }) kept.MoveToOuterDisposeScope();
        }
        return RunLayers(hidden, cos, sin, additive, caches);
    }

    /// <summary>
    /// Final hidden states for rows that each hold several examples packed one after another: <paramref name="segments"/>
    /// (batch × t, int64) numbers each token's example (1, 2, …; 0 for padding at the end). Every example starts at
    /// position 0 and attends only to its own earlier tokens (a block-diagonal causal mask), so each gets exactly the
    /// hidden states it would get alone.
    /// </summary>
    internal Tensor ForwardPacked(Tensor ids, Tensor segments)
    {
        long t = ids.shape[1];
        var dtype = embed_tokens.weight!.dtype;
        Tensor hidden, cos, sin, additive;
        using (var setup = NewDisposeScope())
        {
            var index = arange(t, device: ids.device).unsqueeze(0).expand(ids.shape[0], t);
            // Where a new example starts its index is its start; elsewhere 0. The running maximum is then each token's
            // example start, and the position is the distance from it.
            var previous = cat([full(ids.shape[0], 1, -1L, ScalarType.Int64, ids.device), segments.narrow(1, 0, t - 1)], 1);
            var starts = index.masked_fill(segments.eq(previous), 0).cummax(1).values;
            var positions = index - starts;
            if (_config.SlidingWindow is { } window && positions.max().item<long>() >= window)
                throw new InvalidOperationException(
                    $"A packed example has more than the config's sliding_window ({window}) positions; LoraSdk has no sliding-window attention.");
            (cos, sin) = _rotary.Angles(positions, dtype);
            var causal = index.unsqueeze(1) <= index.unsqueeze(2); // batch × query × key
            var sameExample = segments.unsqueeze(1).eq(segments.unsqueeze(2)).logical_and(segments.ne(0).unsqueeze(1));
            // As in Forward: a padding query attends to itself so that no softmax row is empty.
            var self = eye(t, dtype: ScalarType.Bool, device: ids.device).unsqueeze(0);
            var allowed = causal.logical_and(sameExample).logical_or(self).unsqueeze(1); // batch × 1 × t × t
            additive = zeros(allowed.shape, dtype, ids.device).masked_fill_(allowed.logical_not(), MostNegative(dtype));
            hidden = embed_tokens.call(ids);
            foreach (var kept in new[] { cos, sin, additive, hidden }) kept.MoveToOuterDisposeScope();
        }
        return RunLayers(hidden, cos, sin, additive, null);
    }

    private Tensor RunLayers(Tensor hidden, Tensor cos, Tensor sin, Tensor additive, IReadOnlyList<LayerKeyValues>? caches)
    {
        // Training (train mode, a graph recorded): keep the large freed blocks (logits, their gradients) in the heap from
        // step to step instead of faulting them in again (see LargeBlockRetention for the time and memory measured).
        if (training && is_grad_enabled()) LargeBlockRetention.Enable();
        using var keep = new DisposeAll(cos, sin, additive);
        for (int i = 0; i < layers.Count; i++)
        {
            // One dispose scope per layer: only the layer output survives.
            using var scope = NewDisposeScope();
            var next = GradientCheckpointing && caches is null && is_grad_enabled()
                ? CheckpointedLayer.Forward(layers[i], hidden, cos, sin, additive)
                : layers[i].Forward(hidden, cos, sin, additive, caches?[i]);
            hidden.Dispose();
            hidden = next.MoveToOuterDisposeScope();
        }
        using (hidden) return norm.call(hidden);
    }

    // transformers masks with the dtype's most negative finite value, so a row with every key masked stays finite.
    private static double MostNegative(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => double.MinValue,
        ScalarType.Float16 => -65504.0,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        _ => float.MinValue,
    };

    private sealed class DisposeAll(params Tensor[] tensors) : IDisposable
    {
        public void Dispose()
        {
            foreach (var tensor in tensors) tensor.Dispose();
        }
    }
}
