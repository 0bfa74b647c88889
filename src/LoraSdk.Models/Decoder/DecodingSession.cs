using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// <see cref="IDecodingSession"/> over a <see cref="CausalLM"/>: each layer's keys and values of the positions fed so
/// far, so a step computes only its new positions. Keys are cached after the rotary embedding of their own position,
/// as transformers' cache holds them; the result equals the model's full forward over the whole sequence.
/// </summary>
internal sealed class DecodingSession : IDecodingSession
{
    private readonly CausalLM _model;
    private readonly LayerKeyValues[] _caches;
    private bool _disposed;

    public DecodingSession(CausalLM model, long batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        _model = model;
        Batch = batch;
        _caches = model.Config.NumLayers > 0 ? Enumerable.Range(0, model.Config.NumLayers).Select(_ => new LayerKeyValues()).ToArray() : [];
    }

    public long Batch { get; }

    public long PastLength { get; private set; }

    public Tensor Step(Tensor ids, Tensor attentionMask)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(attentionMask);
        if (ids.dim() != 2 || ids.shape[0] != Batch || ids.shape[1] < 1)
            throw new ArgumentException($"ids has shape [{string.Join(", ", ids.shape)}]; a step feeds [{Batch}, t ≥ 1].", nameof(ids));
        long t = ids.shape[1];
        if (attentionMask.dim() != 2 || attentionMask.shape[0] != Batch || attentionMask.shape[1] != PastLength + t)
            throw new ArgumentException(
                $"attentionMask has shape [{string.Join(", ", attentionMask.shape)}]; it must cover the cached and new positions: [{Batch}, {PastLength + t}].", nameof(attentionMask));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var hidden = _model.Decoder.Forward(ids, attentionMask.to_type(ScalarType.Bool), PastLength, _caches);
        var logits = _model.Head(hidden).to_type(ScalarType.Float32);
        PastLength += t;
        return logits.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var cache in _caches) cache.Dispose();
    }
}
