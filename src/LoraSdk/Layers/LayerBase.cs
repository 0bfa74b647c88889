using LoraSdk.Quantization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// The frozen base of one adapted layer (see <see cref="LoraBase"/>): the storage in force (<see cref="Weight"/>, float or
/// quantized), a quantization declared by <c>[LoRA(Base = …)]</c> and applied at the layer's first forward (after
/// pretrained weights were loaded), and the changes between float and quantized. One per layer, held by the layer's
/// host adapter, so every named adapter of the layer shares one quantized weight. Only <c>Linear</c> targets can be
/// quantized: their calls all pass through the adapter, which dequantizes per call.
/// </summary>
internal sealed class LayerBase
{
    private readonly LoraAdapter _host;
    private readonly FrozenWeight _float;

    // Declared by [LoRA(Base = …)]: applied at the layer's first forward, after pretrained weights were loaded.
    private LoraBase _pending;

    public LayerBase(LoraAdapter host, FrozenWeight floatWeight)
    {
        _host = host;
        _float = Weight = floatWeight;
    }

    /// <summary>The storage of the frozen weight now: the layer math reads W through it.</summary>
    public FrozenWeight Weight { get; private set; }

    /// <summary>The quantized storage, or null while the weight is floating point.</summary>
    public QuantizedWeight? Quantized => Weight.Quantized;

    /// <summary>Records a declared base quantization, applied by <see cref="ApplyPending"/>; checks the layer kind now.</summary>
    public void Request(LoraBase kind, string displayName)
    {
        if (kind == LoraBase.Float32) return;
        EnsureQuantizable(displayName, kind);
        _pending = kind;
    }

    /// <summary>Quantizes the base now if <c>[LoRA(Base = …)]</c> asked for it and that has not happened yet (one field check otherwise).</summary>
    public void ApplyPending()
    {
        if (_pending == LoraBase.Float32) return;
        var kind = _pending;
        _pending = LoraBase.Float32;
        Set(kind);
    }

    /// <summary>Throws (naming <paramref name="displayName"/>) unless this layer's base can become <paramref name="kind"/>.</summary>
    public void EnsureQuantizable(string displayName, LoraBase kind)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown base storage {kind}.");
        if (kind == LoraBase.Float32) return;
        var target = _host.Target;
        if (target is not Linear linear)
            throw new NotSupportedException(
                $"Cannot quantize the base of LoRA target '{displayName}': it is a {target.GetType().Name}; base quantization ({kind}) supports Linear layers only.");
        if (_host.NamedSet.AnyMerged)
            throw new InvalidOperationException($"Cannot quantize the base of LoRA target '{displayName}' while an adapter is merged into it; call UnmergeLoRA() first.");
        if (Quantized is { } current && current.Kind != kind)
            throw new InvalidOperationException(
                $"The base of LoRA target '{displayName}' is already quantized as {current.Kind}; quantize from a float base (QuantizeBase(LoraBase.Float32) first, which keeps the {current.Kind} rounding).");
        if (Quantized is null && linear.weight!.requires_grad)
            throw new InvalidOperationException(
                $"Cannot quantize the base of LoRA target '{displayName}': its weight is trainable (listed in modules_to_save?); a quantized weight stays frozen.");
    }

    /// <summary>
    /// Quantizes the layer's weight (the float tensor is released: the Linear keeps an empty placeholder), registered
    /// under the host as <see cref="LoraAdapter.QuantizedBaseName"/>; or with <see cref="LoraBase.Float32"/> gives the
    /// Linear back a float weight holding the dequantized values.
    /// </summary>
    public void Set(LoraBase kind)
    {
        _pending = LoraBase.Float32;
        if (Weight.Kind == kind) return;
        EnsureQuantizable(_host.TargetName, kind);
        var linear = (Linear)_host.Target;
        using var _ = no_grad();
        if (kind == LoraBase.Float32)
        {
            var quantized = Quantized!;
            using var restored = quantized.Dequantize(linear.weight!.dtype);
            linear.weight = new Parameter(restored, requires_grad: false);
            Weight = _float;
            _host.register_module(LoraAdapter.QuantizedBaseName, null!); // TorchSharp's way to drop a registered child
            quantized.Dispose();
            return;
        }
        Weight = Quantize(linear, kind, _host, LoraAdapter.QuantizedBaseName);
    }

    /// <summary>
    /// Quantizes the weight of a layer left unadapted (the host is its stand-in, see <see cref="LoraAdapter.Standby"/>):
    /// the codes are registered on <paramref name="owner"/> as <c>&lt;target&gt;_base_quantized</c> (so <c>to()</c> and
    /// state_dict reach them) and the router's plain path dequantizes per call, as an adapted layer's base path does.
    /// </summary>
    public void QuantizePlain(nn.Module owner, LoraBase kind)
    {
        if (kind == LoraBase.Float32 || Quantized?.Kind == kind) return;
        EnsureQuantizable(_host.TargetName, kind);
        Weight = Quantize((Linear)_host.Target, kind, owner, _host.TargetName.Replace('.', '_') + "_" + LoraAdapter.QuantizedBaseName);
    }

    private static QuantizedFrozenWeight Quantize(Linear linear, LoraBase kind, nn.Module registeredOn, string name)
    {
        using var _ = no_grad();
        var weight = linear.weight!;
        var quantized = QuantizedWeight.Create(weight, kind);
        registeredOn.register_module(name, quantized);
        // The setter disposes the float weight's handle; the placeholder keeps dtype and device for to() and new adapters.
        linear.weight = QuantizedFrozenWeight.Placeholder(weight);
        return new QuantizedFrozenWeight(linear, quantized);
    }

    /// <summary>Refuses an operation that needs a float base weight (merge, PiSSA) while the base is quantized.</summary>
    public void EnsureFloat(string operation, string displayName)
    {
        if (Quantized is { } quantized)
            throw new InvalidOperationException(
                $"Cannot {operation} LoRA adapter '{displayName}': its base weight is quantized ({quantized.Kind}). " +
                "Load the saved adapter (an ordinary PEFT adapter) onto a float base model and merge there, or call QuantizeBase(LoraBase.Float32) first (the weight then holds the quantized values).");
    }
}
