using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// The unmerged forward at the base layer's cost, when no gradient is needed: instead of the rank-r passes over
/// the full-size input and output (A·x, B·(A·x), the add into the base output), the adapter builds the effective
/// weight W + s·B·A for this call and runs the target's own operation once with it (<c>linear</c>, or the
/// convolution with the target's stride, padding, dilation, padding mode and bias). Exactly the same function of x;
/// only the float rounding differs.
/// <para>
/// Taken only when (<see cref="Applies"/>) autograd is off for the call (grad mode off, or neither the input nor
/// W, bias, A, B requires a gradient), dropout is inactive (eval mode or p = 0), the base is a float weight (a
/// quantized base keeps its dequantizing path), A and B have W's dtype, no mixed batch is in force, and the cost
/// rule (<see cref="IsCheaper"/>) says the effective weight is cheaper. The effective weight is computed per call
/// and never cached: A, B and W may change between calls (an optimizer step, a load, a merge elsewhere) and a
/// cache could not see that. The <c>call()</c> path (<see cref="LoraAdapter.CallThroughTarget"/>) never takes it:
/// hooks on the target must see the target's own output, so the update is added after.
/// </para>
/// </summary>
internal static class EffectiveWeightPath
{
    [ThreadStatic] private static long _taken;

    /// <summary>How many forwards on this thread took the path (for tests and diagnostics; one increment per call).</summary>
    internal static long TakenOnThisThread => _taken;

    /// <summary>
    /// The cost rule, in multiply-adds per call. The low-rank passes cost, per output position, r·fanIn (A) plus
    /// r·out (B) plus one pass over the output (the add); the effective weight costs out·r·fanIn (B·A) plus a
    /// weight-sized add, once per call. <paramref name="fanIn"/> is in_features for Linear and in·k₁·k₂… for a
    /// convolution; <paramref name="positions"/> is the number of output rows (tokens) or output pixels.
    /// </summary>
    public static bool IsCheaper(long positions, long fanIn, long outFeatures, long rank)
    {
        double lowRank = (double)positions * (rank * (double)(fanIn + outFeatures) + outFeatures);
        double effective = (double)outFeatures * fanIn * (rank + 1);
        return effective < lowRank;
    }

    /// <summary>Whether this forward of <paramref name="adapter"/> may run on the effective weight, and is cheaper there.</summary>
    public static bool Applies(LoraAdapter adapter, Tensor input, Tensor weight, Tensor? bias, Tensor loraA, Tensor loraB, long positions, long fanIn)
    {
        if (adapter.DropoutActive || adapter.QuantizedBase is not null || adapter.NamedSet.RowPlan is not null) return false;
        if (is_grad_enabled() &&
            (input.requires_grad || weight.requires_grad || (bias?.requires_grad ?? false) || loraA.requires_grad || loraB.requires_grad))
            return false;
        if (loraA.dtype != weight.dtype || loraB.dtype != weight.dtype) return false;
        if (!IsCheaper(positions, fanIn, adapter.OutFeatures, adapter.Rank)) return false;
        _taken++;
        return true;
    }

    /// <summary>
    /// W + s·B·A in W's layout, as one <c>addmm</c> on the 2-D views: (out × fanIn) + (s·B: out × r)(A: r × fanIn);
    /// for a convolution, B's kernel is 1×…×1, so B∘A is that matrix product with A flattened over (in, kernel).
    /// </summary>
    public static Tensor EffectiveWeight(Tensor weight, Tensor loraA, Tensor loraB, double scaling)
    {
        long outFeatures = weight.shape[0], rank = loraA.shape[0];
        using var w = weight.reshape(outFeatures, -1);
        using var b = loraB.reshape(outFeatures, rank);
        using var scaledB = b.mul(scaling); // small (out × r); a double scalar here keeps float64 exact (addmm's alpha is a float)
        using var a = loraA.reshape(rank, -1);
        using var sum = w.addmm(scaledB, a);
        return sum.view(weight.shape);
    }
}
