using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Which adapter each row of a batch uses (PEFT's <c>adapter_names</c> argument, LoRAX/S-LoRA style serving):
/// the rows are grouped by adapter once, and every adapted layer adds each group's low-rank update to just
/// those rows (index_select → B(A(x)) → index_add; Linear layers in eval: <see cref="BatchedLinearUpdate"/>), so one
/// forward serves many adapters on one base.
/// Rows named <see cref="BaseName"/> get no update.
/// </summary>
internal sealed class MixedBatchPlan : IDisposable
{
    /// <summary>PEFT's name for "no adapter" in a mixed batch.</summary>
    public const string BaseName = "__base__";

    private readonly (string Name, long[] Rows)[] _groups;
    private readonly Dictionary<string, Tensor[]> _indexByDevice = new(StringComparer.Ordinal);

    public MixedBatchPlan(IReadOnlyList<string> adapterIds)
    {
        BatchSize = adapterIds.Count;
        _groups = adapterIds.Select((name, row) => (name, row: (long)row))
            .GroupBy(x => x.name, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Select(x => x.row).ToArray()))
            .ToArray();
    }

    public int BatchSize { get; }

    public IEnumerable<string> AdapterNames => _groups.Select(g => g.Name);

    /// <summary>result + each row's scaling·B(A(dropout(x))) with its own adapter; in place or as a new tensor.</summary>
    public Tensor AddUpdates(LoraAdapter host, Tensor result, Tensor input, bool inPlace)
    {
        if (input.dim() == 0 || input.shape[0] != BatchSize)
            throw new InvalidOperationException(
                $"Mixed batch: layer '{host.TargetName}' got an input with {(input.dim() == 0 ? 0 : input.shape[0])} rows in its first dimension, but UseAdapterPerRow named {BatchSize} adapters (one per row).");
        var output = inPlace ? result : result.clone();
        if (BatchedLinearUpdate.TryAdd(host, _groups, BatchSize, output, input)) return output;
        var indices = IndicesOn(input.device);
        for (int g = 0; g < _groups.Length; g++)
        {
            if (_groups[g].Name == BaseName) continue;
            var adapter = host.FindAdapter(_groups[g].Name)!;
            // An explicit Scalar stays reachable until the native call returns (an implicit one may be finalized during it).
            using var alpha = adapter.Scaling.ToScalar();
            if (_groups[g].Rows.Length == BatchSize)
            {
                using var all = adapter.LowRankForward(input);
                output.add_(all, alpha);
                continue;
            }
            using var rows = input.index_select(0, indices[g]);
            using var delta = adapter.LowRankForward(rows);
            output.index_add_(0, indices[g], delta, alpha);
        }
        return output;
    }

    private Tensor[] IndicesOn(Device device)
    {
        string key = device.ToString();
        if (!_indexByDevice.TryGetValue(key, out var indices))
        {
            indices = _groups.Select(g => tensor(g.Rows, device: device)).ToArray();
            foreach (var index in indices) index.DetachFromDisposeScope();
            _indexByDevice[key] = indices;
        }
        return indices;
    }

    public void Dispose()
    {
        foreach (var index in _indexByDevice.Values.SelectMany(i => i)) index.Dispose();
        _indexByDevice.Clear();
    }
}
