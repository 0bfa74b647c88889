using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// A mixed batch's low-rank updates on a Linear layer in two batched matmuls instead of a loop over its adapters (what
/// Punica's SGMV/BGMV kernels do on a GPU): each row's A and B are gathered, zero-padded to the largest rank of the
/// batch (zero rows and columns add nothing), and applied with bmm; each row's scaling multiplies its update after.
/// Only in eval-style runs (no adapter dropout) and when every adapter of the batch is a Linear one.
/// </summary>
internal static class BatchedLinearUpdate
{
    /// <summary>Adds every row's scaling·B(A(x)) to <paramref name="output"/> and returns true, or returns false when the loop must do it.</summary>
    public static bool TryAdd(LoraAdapter host, IReadOnlyList<(string Name, long[] Rows)> groups, int batchSize, Tensor output, Tensor input)
    {
        if (host is not LinearLoraAdapter || input.dim() < 2 || groups.Count < 2) return false;
        var adapters = groups.Select(g => g.Name == MixedBatchPlan.BaseName ? null : host.FindAdapter(g.Name) as LinearLoraAdapter).ToList();
        if (adapters.Any(a => a is not null && a.DropoutActive) || groups.Where((g, i) => g.Name != MixedBatchPlan.BaseName && adapters[i] is null).Any())
            return false;
        using var scope = NewDisposeScope();
        long inFeatures = host.InFeatures, outFeatures = host.OutFeatures;
        int rank = adapters.Max(a => a?.Rank ?? 0);
        if (rank == 0) return true; // every row is __base__
        var a = zeros([groups.Count, rank, inFeatures], dtype: input.dtype, device: input.device);
        var b = zeros([groups.Count, outFeatures, rank], dtype: input.dtype, device: input.device);
        var scaling = new double[groups.Count];
        var groupOfRow = new long[batchSize];
        for (int g = 0; g < groups.Count; g++)
        {
            foreach (var row in groups[g].Rows) groupOfRow[row] = g;
            if (adapters[g] is not { } adapter) continue;
            a[g, ..adapter.Rank].copy_(adapter.LoraA);
            b[g, .., ..adapter.Rank].copy_(adapter.LoraB);
            scaling[g] = adapter.Scaling;
        }
        var rows = tensor(groupOfRow, device: input.device);
        var x = input.reshape(batchSize, -1, inFeatures);
        var low = bmm(x, a.index_select(0, rows).transpose(1, 2));
        var delta = bmm(low, b.index_select(0, rows).transpose(1, 2));
        delta.mul_(tensor(scaling, dtype: input.dtype, device: input.device).index_select(0, rows).view(batchSize, 1, 1));
        // add_(t) would pass TorchSharp an implicit Scalar 1 that the finalizer may free during the native call.
        using var one = 1.0.ToScalar();
        output.add_(delta.reshape(output.shape), one);
        return true;
    }
}
