using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>Model-wide base quantization (QLoRA-style): see <see cref="LoraBase"/> and docs/quantization.md.</summary>
public static class BaseQuantizationExtensions
{
    /// <summary>
    /// Stores the frozen base weight of every adapted Linear in the tree as <paramref name="kind"/> (or, with
    /// <see cref="LoraBase.Float32"/>, turns quantized bases back into float weights holding the quantized values).
    /// The float32 weights are released. Targets under <paramref name="keepFloat"/> (module paths or name parts, as
    /// <c>modules_to_save</c>) are left alone. Everything is checked before any layer changes. Call it after loading
    /// the pretrained base weights; it overrides what <c>[LoRA(Base = …)]</c> declared.
    /// </summary>
    /// <exception cref="NotSupportedException">An adapted layer is not a Linear (its path and kind are named).</exception>
    /// <exception cref="InvalidOperationException">No adapters; an adapter is merged; a base is already quantized as another kind.</exception>
    public static void QuantizeBase(this nn.Module model, LoraBase kind, params string[] keepFloat)
    {
        ArgumentNullException.ThrowIfNull(model);
        var keep = new HashSet<string>(keepFloat, StringComparer.Ordinal);
        var hosts = model.LoraHosts().Where(h => !ModelFreezing.IsUnder(h.Path + ".weight", keep)).ToList();
        if (hosts.Count == 0)
            throw new InvalidOperationException($"{model.GetType().Name} has no LoRA adapters outside {string.Join(", ", keepFloat)}: base quantization applies to adapted layers.");
        foreach (var (path, host) in hosts) host.NamedSet.EnsureNoMixedScope("quantize the base");
        foreach (var (path, host) in hosts) host.Base.EnsureQuantizable(path, kind);
        foreach (var (_, host) in hosts) host.Base.Set(kind);
    }

    /// <summary>
    /// What the adapted layers' base weights occupy: their bytes now (quantized buffers or float weights) and as
    /// float32, for reports and benchmarks (e.g. NF4: about 0.14 of the float32 bytes).
    /// </summary>
    public static (long Bytes, long Float32Bytes) BaseWeightBytes(this nn.Module model)
    {
        long bytes = 0, float32 = 0;
        foreach (var (_, host) in model.LoraHosts())
        {
            if (host.QuantizedBase is { } quantized)
            {
                bytes += quantized.StorageBytes;
                float32 += quantized.LogicalCount * sizeof(float);
            }
            else
            {
                bytes += host.BaseWeight.numel() * host.BaseWeight.ElementSize;
                float32 += host.BaseWeight.numel() * sizeof(float);
            }
        }
        return (bytes, float32);
    }

    /// <summary>
    /// The base storages of the tree's adapted layers, e.g. <c>Nf4</c> or <c>Int8,Nf4</c>; empty when every base is
    /// float. Declared (<c>[LoRA(Base = …)]</c>) but not yet applied quantizations are applied first.
    /// </summary>
    internal static string BaseStorageSummary(this nn.Module model)
    {
        var hosts = model.LoraHosts();
        foreach (var (_, host) in hosts) host.Base.ApplyPending();
        return string.Join(",", hosts.Select(h => h.Host.BaseStorage).Where(k => k != LoraBase.Float32).Distinct().Order());
    }

    /// <summary>Elements of the float weights that quantized bases stand for (parameter counts include them).</summary>
    internal static long QuantizedBaseElements(this nn.Module model) =>
        model.LoraHosts().Sum(h => h.Host.QuantizedBase?.LogicalCount ?? 0);
}
