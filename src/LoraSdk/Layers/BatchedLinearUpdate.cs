using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// A mixed batch's low-rank updates on a Linear layer in two batched matmuls instead of a loop over its adapters (what
/// Punica's SGMV/BGMV kernels do on a GPU): each row's A and B are gathered (one <c>stack</c> each when the batch's
/// adapters share a rank and dtype, else zero-padded to the largest rank: zero rows and columns add nothing), the
/// rank-r products x·Aᵀ are scaled by each row's scaling (small tensors), and the second product is added to the output.
/// Only in eval-style runs (no adapter dropout) and when every adapter of the batch is a Linear one.
/// </summary>
internal static class BatchedLinearUpdate
{
    /// <summary>Adds every row's scaling·B(A(x)) to <paramref name="output"/> and returns true, or returns false when the loop must do it.</summary>
    public static bool TryAdd(LoraAdapter host, IReadOnlyList<(string Name, long[] Rows)> groups, int batchSize, Tensor output, Tensor input)
    {
        if (host is not LinearLoraAdapter || input.dim() < 2 || groups.Count < 2 || !output.is_contiguous()) return false;
        var adapters = groups.Select(g => g.Name == MixedBatchPlan.BaseName ? null : host.FindAdapter(g.Name) as LinearLoraAdapter).ToList();
        if (adapters.Any(a => a is not null && a.DropoutActive) || groups.Where((g, i) => g.Name != MixedBatchPlan.BaseName && adapters[i] is null).Any())
            return false;
        using var scope = NewDisposeScope();
        long inFeatures = host.InFeatures, outFeatures = host.OutFeatures;
        int rank = adapters.Max(a => a?.Rank ?? 0);
        if (rank == 0) return true; // every row is __base__
        var groupOfRow = new long[batchSize];
        for (int g = 0; g < groups.Count; g++)
            foreach (var row in groups[g].Rows) groupOfRow[row] = g;
        var (aRows, bRows) = adapters.All(a => a is not null && a.Rank == rank && a.LoraA.dtype == input.dtype && a.LoraB.dtype == input.dtype)
            ? Stacked(adapters!, groupOfRow)
            : Padded(adapters, groupOfRow, rank, inFeatures, outFeatures, input);
        var x = input.reshape(batchSize, -1, inFeatures);
        var low = bmm(x, aRows.transpose(1, 2)); // (batch, t, r): small, so the scaling goes here rather than on the update
        var scaling = adapters.Select(a => a?.Scaling ?? 0).ToArray();
        if (scaling.All(s => s == scaling[0]))
        {
            using var factor = scaling[0].ToScalar();
            low.mul_(factor);
        }
        else
        {
            low.mul_(tensor(scaling, dtype: input.dtype, device: input.device).index_select(0, tensor(groupOfRow, device: input.device)).view(batchSize, 1, 1));
        }
        // output += low·Bᵀ per row (TorchSharp has no in-place baddbmm_). An explicit Scalar: add_(t) would pass an
        // implicit one that the finalizer may free during the native call.
        using var output3d = output.view(batchSize, -1, outFeatures);
        using var one = 1.0.ToScalar();
        output3d.add_(bmm(low, bRows.transpose(1, 2)), one);
        return true;
    }

    /// <summary>Every row's A (batch × r × in) and B (batch × out × r) in one <c>stack</c> each: all adapters of one rank and the input's dtype.</summary>
    private static (Tensor A, Tensor B) Stacked(IReadOnlyList<LinearLoraAdapter?> adapters, long[] groupOfRow) =>
        (stack(groupOfRow.Select(g => adapters[(int)g]!.LoraA).ToArray()), stack(groupOfRow.Select(g => adapters[(int)g]!.LoraB).ToArray()));

    /// <summary>
    /// Every row's A and B zero-padded to <paramref name="rank"/> (zero rows and columns add nothing) and in the input's
    /// dtype; <c>__base__</c> rows get zeros: mixed ranks, dtypes or base rows.
    /// </summary>
    private static (Tensor A, Tensor B) Padded(IReadOnlyList<LinearLoraAdapter?> adapters, long[] groupOfRow, int rank, long inFeatures, long outFeatures, Tensor input)
    {
        var a = zeros([adapters.Count, rank, inFeatures], dtype: input.dtype, device: input.device);
        var b = zeros([adapters.Count, outFeatures, rank], dtype: input.dtype, device: input.device);
        for (int g = 0; g < adapters.Count; g++)
        {
            if (adapters[g] is not { } adapter) continue;
            a[g, ..adapter.Rank].copy_(adapter.LoraA);
            b[g, .., ..adapter.Rank].copy_(adapter.LoraB);
        }
        using var rows = tensor(groupOfRow, device: input.device);
        return (a.index_select(0, rows), b.index_select(0, rows));
    }
}
