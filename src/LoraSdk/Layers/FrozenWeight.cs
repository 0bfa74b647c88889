using LoraSdk.Quantization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// How an adapted layer's frozen base weight is stored: the layer's own float parameter
/// (<see cref="FloatFrozenWeight"/>) or a quantized copy (<see cref="QuantizedFrozenWeight"/>, Linear only). The layer
/// math asks it for the dense weight and never branches on the storage itself: the one autograd node of a Linear
/// (<see cref="FusedLinearLora"/>) keeps the dense weight for backward or materialises it again, as
/// <see cref="KeepDenseForBackward"/> says. Every named adapter of a layer shares the one instance in force
/// (<see cref="LayerBase.Weight"/>).
/// </summary>
internal abstract class FrozenWeight
{
    /// <summary>The storage kind (<see cref="LoraBase.Float32"/> for the float parameter, whatever its dtype).</summary>
    public abstract LoraBase Kind { get; }

    /// <summary>The quantized storage, or null for a float weight.</summary>
    public virtual QuantizedWeight? Quantized => null;

    /// <summary>
    /// True when an autograd node may keep <see cref="Dense"/>'s tensor from forward to backward (the float parameter,
    /// alive anyway); false when it must call <see cref="Dense"/> again in backward, so no float copy of a quantized
    /// weight lives between the two.
    /// </summary>
    public abstract bool KeepDenseForBackward { get; }

    /// <summary>
    /// The dense frozen weight in the layer's layout (Linear: out × in): the float parameter itself (in its own dtype,
    /// not copied, not owned) or a fresh dequantized copy in <paramref name="dtype"/> (owned, freed by disposing the result).
    /// Adapters that need W itself (merging, DoRA's column norms) read it here, so they work on either storage.
    /// </summary>
    public abstract DenseWeight Dense(ScalarType dtype);

    /// <summary><c>target.call(x)</c> of the frozen layer, so hooks registered on it run as they would without an adapter.</summary>
    public abstract Tensor Call(Tensor input);

    /// <summary>The frozen Linear's own forward x·Wᵀ + b (never adapted).</summary>
    public abstract Tensor LinearForward(Linear linear, Tensor input);
}

/// <summary>A dense weight from <see cref="FrozenWeight.Dense"/>: disposing it frees the tensor only when it is a copy.</summary>
internal readonly struct DenseWeight : IDisposable
{
    private readonly bool _owned;

    public DenseWeight(Tensor tensor, bool owned)
    {
        Tensor = tensor;
        _owned = owned;
    }

    /// <summary>W, dense.</summary>
    public Tensor Tensor { get; }

    public void Dispose()
    {
        if (_owned) Tensor.Dispose();
    }
}
