using System.ComponentModel;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Small helpers that code generated for <c>[LoRA]</c> classes calls, kept here so the generated code stays
/// short and its error messages are written once. Not meant to be called by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GeneratedLora
{
    /// <summary>
    /// Attaches the adapter of one target (from the generated <c>RegisterComponents()</c>) with the target's
    /// declared options, changed by the <see cref="LoraOptionsOverride"/> in force, if any.
    /// </summary>
    public static LoraAdapter Attach(nn.Module owner, LoraTargetInfo target, nn.Module? layer)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(target);
        if (layer is null)
            throw new InvalidOperationException(
                $"{owner.GetType().Name}.{target.Name} is null when RegisterComponents() runs: create every layer in the constructor before calling RegisterComponents().");
        var options = LoraOptionsOverride.Current?.ApplyTo(target.Options) ?? target.Options;
        return LoraAdapter.Attach(owner, target.Name, layer, options);
    }

    /// <summary>The adapters of a generated class, or a clear error if its constructor never attached them.</summary>
    /// <summary>
    /// The active adapter of each target of a generated class (the attached ones unless named adapters were
    /// switched), or a clear error if its constructor never attached them.
    /// </summary>
    public static LoraAdapter[] Attached(LoraAdapter[]? adapters, string className)
    {
        if (adapters is null) throw NotAttached(className);
        return adapters.Any(a => !ReferenceEquals(a.Active, a)) ? adapters.Select(a => a.Active).ToArray() : adapters;
    }

    /// <summary>The active adapter routed for <paramref name="layer"/> (from a generated interceptor).</summary>
    public static TAdapter AdapterOf<TAdapter>(nn.Module layer, string target) where TAdapter : LoraAdapter
    {
        if (LoraRouter.TryGetAdapter(layer, out var adapter) && adapter is TAdapter typed) return typed;
        int dot = target.LastIndexOf('.');
        throw NotAttached(dot < 0 ? target : target[..dot], $" ('{target}' has no adapter)");
    }

    public static bool IsMerged(LoraAdapter[] adapters) => adapters.All(a => a.IsMerged);

    /// <summary>Merges every adapter of one module, as MergeLoRA does for a tree (safe: all checked before any changes).</summary>
    public static void Merge(LoraAdapter[] adapters, bool safe) =>
        LoraModelExtensions.MergeAll(adapters.Select(a => (a.TargetName, a)), safe);

    public static void Unmerge(LoraAdapter[] adapters)
    {
        foreach (var adapter in adapters) adapter.Unmerge();
    }

    /// <summary>
    /// result += scaling · down · Bᵀ as one in-place GEMM on result's 2-D view: no scaled delta tensor is
    /// materialised. <paramref name="down"/> is x·Aᵀ (…, r), <paramref name="loraB"/> is (out × r).
    /// addmm_ takes alpha as a float, so a float64 model whose scaling a float cannot hold exactly takes
    /// the two-step path instead, as does a non-contiguous result (no 2-D view of it exists).
    /// </summary>
    public static Tensor AddLowRank(Tensor result, Tensor down, Tensor loraB, double scaling)
    {
        using var bT = loraB.t();
        bool floatAlphaLosesPrecision = (float)scaling != scaling && result.dtype == ScalarType.Float64;
        if (!result.is_contiguous() || floatAlphaLosesPrecision)
        {
            using var delta = down.matmul(bT);
            return result.add_(delta, alpha: scaling);
        }
        using var result2d = result.view(-1, result.shape[^1]);
        using var down2d = down.reshape(-1, down.shape[^1]);
        result2d.addmm_(down2d, bT, beta: 1, alpha: (float)scaling);
        return result;
    }

    /// <summary>
    /// x·Aᵀ of a Linear adapter, after the adapter's dropout when it trains with a non-zero one: (…, r), with the
    /// adapter's run-time options (see <see cref="AddUpdate"/>).
    /// </summary>
    public static Tensor LinearDown(LinearLoraAdapter adapter, Tensor input)
    {
        double dropout = adapter.Options.Dropout;
        if (!adapter.training || dropout == 0) return nn.functional.linear(input, adapter.LoraA);
        using var dropped = nn.functional.dropout(input, dropout, training: true);
        return nn.functional.linear(dropped, adapter.LoraA);
    }

    /// <summary>
    /// Whether the adapter still has the options its [LoRA] attribute declared, which the generated fast path
    /// has folded in as constants (false after a <see cref="LoraOptionsOverride"/> changed them).
    /// </summary>
    public static bool HasOptions(LoraAdapter adapter, double scaling, double dropout) =>
        adapter.Scaling == scaling && adapter.Options.Dropout == dropout && adapter.Host.MixedRows is null;

    /// <summary>
    /// base output + scaling·B(A(dropout(x))) with the adapter's run-time options: the generated path for an
    /// adapter whose declared options a <see cref="LoraOptionsOverride"/> changed.
    /// </summary>
    public static Tensor AddUpdate(LoraAdapter adapter, Tensor result, Tensor input, bool inPlace)
    {
        if (adapter.Host.MixedRows is { } rows) return rows.AddUpdates(adapter.Host, result, input, inPlace);
        if (adapter is LinearLoraAdapter linear)
        {
            using var down = LinearDown(linear, input);
            return inPlace
                ? AddLowRank(result, down, linear.LoraB, linear.Scaling)
                : PlusLowRank(result, down, linear.LoraB, linear.Scaling);
        }
        using var delta = adapter.LowRankForward(input);
        return inPlace ? result.add_(delta, alpha: adapter.Scaling) : result.add(delta, alpha: adapter.Scaling);
    }

    /// <summary>
    /// result + scaling · down · Bᵀ as a new tensor, for the <c>call</c> path: a forward hook on the layer may
    /// have kept the tensor it returned, so that tensor must not change (as in <see cref="LoraAdapter.CallThroughTarget"/>).
    /// </summary>
    public static Tensor PlusLowRank(Tensor result, Tensor down, Tensor loraB, double scaling)
    {
        using var bT = loraB.t();
        using var delta = down.matmul(bT);
        return result.add(delta, alpha: scaling);
    }

    private static InvalidOperationException NotAttached(string className, string detail = "") => new(
        $"{className} has no LoRA adapters{detail}: its constructor must call RegisterComponents() after creating its layers " +
        "(the code generated for [LoRA] attaches the adapters there).");
}
