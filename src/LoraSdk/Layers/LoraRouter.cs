using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Finds the adapter of a layer. Generated interceptors replace <c>layer.forward(x)</c> and
/// <c>layer.call(x)</c> in user code with one call to <see cref="Forward"/> / <see cref="Call"/>; an interceptor
/// cannot reach the owning instance, so the layer itself is the key (one lookup, about 10 ns per call).
/// A weak table keeps no layer alive.
/// </summary>
public static class LoraRouter
{
    private static readonly ConditionalWeakTable<nn.Module, LoraAdapter> Adapters = new();

    // Layers of [LoRA] targets deliberately left unadapted (LoraOptionsOverride.Targets, or an adapter detached at
    // run time): their calls run the plain layer, through its stand-in adapter's base path when one holds a quantized
    // weight for it. Any other layer without an adapter is a construction error.
    private static readonly ConditionalWeakTable<nn.Module, object> Plain = new();
    private static readonly object PlainMark = new();

    /// <summary>Makes <paramref name="adapter"/> the one that calls of <paramref name="layer"/> are routed to (done by <see cref="LoraAdapter.Attach"/>).</summary>
    /// <exception cref="InvalidOperationException">The layer already has another adapter.</exception>
    public static void Register(nn.Module layer, LoraAdapter adapter)
    {
        if (Adapters.TryGetValue(layer, out var existing) && !ReferenceEquals(existing, adapter))
            throw new InvalidOperationException(
                $"Layer '{adapter.TargetName}' already has a LoRA adapter ('{existing.TargetName}'); a layer can be adapted once.");
        Adapters.AddOrUpdate(layer, adapter);
        Plain.Remove(layer);
    }

    /// <summary>Routes <paramref name="layer"/>'s calls to the plain layer from now on (its adapter, if any, is forgotten).</summary>
    internal static void LeavePlain(nn.Module layer, LoraAdapter? standIn = null)
    {
        Adapters.Remove(layer);
        Plain.AddOrUpdate(layer, standIn ?? PlainMark);
    }

    /// <summary>The stand-in adapter of a layer left plain by <see cref="LoraOptionsOverride.Targets"/> (it can hold the layer's quantized weight).</summary>
    internal static bool TryGetStandIn(nn.Module layer, out LoraAdapter standIn)
    {
        bool found = Plain.TryGetValue(layer, out var mark) && mark is LoraAdapter;
        standIn = found ? (LoraAdapter)mark! : null!;
        return found;
    }

    /// <summary>The layer's active adapter (its host's, see <see cref="LoraAdapter.Active"/>).</summary>
    public static bool TryGetAdapter(nn.Module layer, out LoraAdapter adapter)
    {
        bool found = Adapters.TryGetValue(layer, out var host);
        adapter = found ? host!.Active : null!;
        return found;
    }

    /// <summary>
    /// <c>layer.forward(x)</c> of an adapted layer: the body of every generated <c>forward</c> interceptor.
    /// <paramref name="target"/> (<c>Namespace.Class.field</c>) names the layer in the error when no adapter is attached.
    /// </summary>
    public static Tensor Forward(nn.Module<Tensor, Tensor> layer, Tensor input, string target) =>
        AdapterOf(layer, target) is { } adapter ? adapter.forward(input)
        : TryGetStandIn(layer, out var standIn) ? standIn.BaseForward(input) : layer.forward(input);

    /// <summary>As <see cref="Forward"/>, for <c>layer.call(x)</c>: the layer's hooks run (see <see cref="LoraAdapter.CallThroughTarget"/>).</summary>
    public static Tensor Call(nn.Module<Tensor, Tensor> layer, Tensor input, string target) =>
        AdapterOf(layer, target) is { } adapter ? adapter.CallThroughTarget(input)
        : TryGetStandIn(layer, out var standIn) ? standIn.PlainCall(input) : layer.call(input);

    /// <summary>The layer's active adapter, or null for a layer deliberately left plain.</summary>
    private static LoraAdapter? AdapterOf(nn.Module layer, string target)
    {
        if (Adapters.TryGetValue(layer, out var host)) return host.Active;
        if (Plain.TryGetValue(layer, out _)) return null;
        int dot = target.LastIndexOf('.');
        throw GeneratedLora.NotAttached(dot < 0 ? target : target[..dot], $" ('{target}' has no adapter)");
    }
}
