using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>One layer's cached keys and values (batch × kv_heads × positions × head_dim), grown by each decoding step.</summary>
internal sealed class LayerKeyValues : IDisposable
{
    private Tensor? _keys;
    private Tensor? _values;

    /// <summary>Appends this step's keys and values and returns all of them (owned by the cache: callers must not dispose them).</summary>
    public (Tensor Keys, Tensor Values) Append(Tensor keys, Tensor values)
    {
        var allKeys = _keys is null ? keys.detach().clone() : cat([_keys, keys.detach()], 2);
        var allValues = _values is null ? values.detach().clone() : cat([_values, values.detach()], 2);
        allKeys.DetachFromDisposeScope();
        allValues.DetachFromDisposeScope();
        _keys?.Dispose();
        _values?.Dispose();
        (_keys, _values) = (allKeys, allValues);
        return (allKeys.alias(), allValues.alias());
    }

    public void Dispose()
    {
        _keys?.Dispose();
        _values?.Dispose();
        _keys = _values = null;
    }
}
