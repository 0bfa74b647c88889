using LoraSdk.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// The quantized frozen base of an adapted layer (see <see cref="LoraBase"/>). The state lives on the layer's host
/// adapter, so every named adapter of the layer shares one quantized weight. Only <c>Linear</c> targets can be
/// quantized: their calls all pass through the adapter, which dequantizes per call.
/// </summary>
public abstract partial class LoraAdapter
{
    /// <summary>The child name of the quantized weight under the host adapter (state_dict: <c>&lt;target&gt;_lora.base_quantized.*</c>).</summary>
    public const string QuantizedBaseName = "base_quantized";

    private QuantizedWeight? _quantizedBase;

    // Declared by [LoRA(Base = …)]: applied at the layer's first forward, after pretrained weights were loaded.
    private LoraBase _pendingBase;

    /// <summary>How the layer's frozen base weight is stored now.</summary>
    public LoraBase BaseStorage => Host._quantizedBase?.Kind ?? LoraBase.Float32;

    /// <summary>The layer's quantized base weight, or null while it is floating point.</summary>
    public QuantizedWeight? QuantizedBase => Host._quantizedBase;

    /// <summary>Records a declared base quantization, applied by <see cref="ApplyPendingBase"/>; checks the layer kind now.</summary>
    internal void RequestBase(LoraBase kind, string displayName)
    {
        if (kind == LoraBase.Float32) return;
        EnsureQuantizable(displayName, kind);
        Host._pendingBase = kind;
    }

    /// <summary>Quantizes the base now if <c>[LoRA(Base = …)]</c> asked for it and that has not happened yet (one field check otherwise).</summary>
    internal void ApplyPendingBase()
    {
        var host = Host;
        if (host._pendingBase == LoraBase.Float32) return;
        var kind = host._pendingBase;
        host._pendingBase = LoraBase.Float32;
        host.SetBase(kind);
    }

    /// <summary>Throws (naming <paramref name="displayName"/>) unless this layer's base can become <paramref name="kind"/>.</summary>
    internal void EnsureQuantizable(string displayName, LoraBase kind)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown base storage {kind}.");
        if (kind == LoraBase.Float32) return;
        if (Target is not Linear linear)
            throw new NotSupportedException(
                $"Cannot quantize the base of LoRA target '{displayName}': it is a {Target.GetType().Name}; base quantization ({kind}) supports Linear layers only.");
        if (AnyMerged)
            throw new InvalidOperationException($"Cannot quantize the base of LoRA target '{displayName}' while an adapter is merged into it; call UnmergeLoRA() first.");
        if (Host._quantizedBase is { } current && current.Kind != kind)
            throw new InvalidOperationException(
                $"The base of LoRA target '{displayName}' is already quantized as {current.Kind}; quantize from a float base (QuantizeBase(LoraBase.Float32) first, which keeps the {current.Kind} rounding).");
        if (Host._quantizedBase is null && linear.weight.requires_grad)
            throw new InvalidOperationException(
                $"Cannot quantize the base of LoRA target '{displayName}': its weight is trainable (listed in modules_to_save?); a quantized weight stays frozen.");
    }

    /// <summary>
    /// Quantizes the layer's weight (the float tensor is released: the Linear keeps an empty placeholder), or with
    /// <see cref="LoraBase.Float32"/> gives it back a float weight holding the dequantized values.
    /// </summary>
    internal void SetBase(LoraBase kind)
    {
        var host = Host;
        host._pendingBase = LoraBase.Float32;
        if (host.BaseStorage == kind) return;
        EnsureQuantizable(TargetName, kind);
        var linear = (Linear)Target;
        using var _ = no_grad();
        if (kind == LoraBase.Float32)
        {
            var quantized = host._quantizedBase!;
            using var restored = quantized.Dequantize(linear.weight.dtype);
            linear.weight = new Parameter(restored, requires_grad: false);
            host._quantizedBase = null;
            host.register_module(QuantizedBaseName, null!); // TorchSharp's way to drop a registered child
            quantized.Dispose();
            return;
        }
        var weight = linear.weight;
        host._quantizedBase = QuantizedWeight.Create(weight, kind);
        host.register_module(QuantizedBaseName, host._quantizedBase);
        // The setter disposes the float weight's handle; the placeholder keeps dtype and device for to() and new adapters.
        linear.weight = Placeholder(weight);
    }

    /// <summary>
    /// Quantizes the weight of a layer left unadapted (this is its stand-in, see <see cref="Standby"/>): the codes are
    /// registered on the owner as <c>&lt;target&gt;_base_quantized</c> (so <c>to()</c> and state_dict reach them) and the
    /// router's plain path dequantizes per call, as an adapted layer's base path does. For models that quantize every
    /// projection while only some carry adapters (QLoRA's recipe).
    /// </summary>
    internal void QuantizePlain(LoraBase kind)
    {
        if (!_standby || Owner is null) throw new InvalidOperationException($"'{TargetName}' is adapted; QuantizeBase quantizes adapted layers.");
        if (kind == LoraBase.Float32 || _quantizedBase?.Kind == kind) return;
        EnsureQuantizable(TargetName, kind);
        var linear = (Linear)Target;
        using var _ = no_grad();
        var weight = linear.weight;
        _quantizedBase = QuantizedWeight.Create(weight, kind);
        Owner.register_module(TargetName.Replace('.', '_') + "_" + QuantizedBaseName, _quantizedBase);
        linear.weight = Placeholder(weight);
    }

    /// <summary><c>target.call(x)</c> of a layer left plain: through the quantized weight when it has one (hooks run).</summary>
    internal Tensor PlainCall(Tensor input) =>
        QuantizedBase is { } quantized ? CallQuantizedTarget(quantized, input) : ((nn.Module<Tensor, Tensor>)Target).call(input);

    private static Parameter Placeholder(Tensor like)
    {
        using var empty = torch.empty(0, dtype: like.dtype, device: like.device);
        return new Parameter(empty, requires_grad: false);
    }

    /// <summary>
    /// <c>target.call(x)</c> on a quantized base, so the layer's hooks run as usual: the dequantized weight is put into the
    /// Linear for this one call. Unlike <c>forward</c>, autograd then keeps that float copy until backward.
    /// </summary>
    private Tensor CallQuantizedTarget(QuantizedWeight quantized, Tensor input)
    {
        var linear = (Linear)Target;
        var placeholder = linear.weight;
        using (var dequantized = quantized.Dequantize(placeholder.dtype))
            linear.weight = new Parameter(dequantized, requires_grad: false); // disposes the placeholder's handle
        try
        {
            return linear.call(input);
        }
        finally
        {
            linear.weight = Placeholder(linear.weight); // disposes this call's weight handle
        }
    }

    /// <summary>Refuses an operation that needs a float base weight (merge, PiSSA) while the base is quantized.</summary>
    internal void EnsureFloatBase(string operation, string? displayName = null)
    {
        if (Host._quantizedBase is { } quantized)
            throw new InvalidOperationException(
                $"Cannot {operation} LoRA adapter '{displayName ?? TargetName}': its base weight is quantized ({quantized.Kind}). " +
                "Load the saved adapter (an ordinary PEFT adapter) onto a float base model and merge there, or call QuantizeBase(LoraBase.Float32) first (the weight then holds the quantized values).");
    }
}
