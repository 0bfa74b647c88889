using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>The frozen base as the layer's own float parameter: read afresh on each use (<c>to()</c> and assignment replace it).</summary>
internal sealed class FloatFrozenWeight(nn.Module target, Func<Tensor> weight) : FrozenWeight
{
    /// <inheritdoc/>
    public override LoraBase Kind => LoraBase.Float32;

    /// <inheritdoc/>
    public override bool KeepDenseForBackward => true;

    /// <summary>The parameter itself, whatever <paramref name="dtype"/> says: the layer math casts where it must.</summary>
    public override DenseWeight Dense(ScalarType dtype) => new(weight(), owned: false);

    /// <inheritdoc/>
    public override Tensor Call(Tensor input) => ((nn.Module<Tensor, Tensor>)target).call(input);

    /// <inheritdoc/>
    public override Tensor LinearForward(Linear linear, Tensor input) => linear.forward(input);
}
