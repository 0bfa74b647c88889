using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Finds the adapter of a layer. Generated interceptors replace <c>layer.forward(x)</c> and
/// <c>layer.call(x)</c> in user code with <see cref="Forward"/>; an interceptor cannot reach the owning
/// instance, so the layer itself is the key. A weak table keeps no layer alive.
/// </summary>
public static class LoraRouter
{
    private static readonly ConditionalWeakTable<nn.Module, LoraAdapter> Adapters = new();

    public static void Register(nn.Module layer, LoraAdapter adapter)
    {
        if (Adapters.TryGetValue(layer, out var existing) && !ReferenceEquals(existing, adapter))
            throw new InvalidOperationException(
                $"Layer '{adapter.TargetName}' already has a LoRA adapter ('{existing.TargetName}'); a layer can be adapted once.");
        Adapters.AddOrUpdate(layer, adapter);
    }

    /// <summary>The layer's active adapter (its host's, see <see cref="LoraAdapter.Active"/>).</summary>
    public static bool TryGetAdapter(nn.Module layer, out LoraAdapter adapter)
    {
        bool found = Adapters.TryGetValue(layer, out var host);
        adapter = found ? host!.Active : null!;
        return found;
    }

    /// <summary>The adapted forward of <paramref name="layer"/>, or its plain forward if it has no adapter.</summary>
    public static Tensor Forward(nn.Module<Tensor, Tensor> layer, Tensor input) =>
        TryGetAdapter(layer, out var adapter) ? adapter.forward(input) : layer.forward(input);

    /// <summary>As <see cref="Forward"/>, through <c>call</c>: the layer's hooks run, adapted or not.</summary>
    public static Tensor Call(nn.Module<Tensor, Tensor> layer, Tensor input) =>
        TryGetAdapter(layer, out var adapter) ? adapter.CallThroughTarget(input) : layer.call(input);
}
