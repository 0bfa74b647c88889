using static TorchSharp.torch;

namespace LoraSdk.Tests.Quantization;

/// <summary>
/// The storage strategy of a frozen base: <c>Dense</c> gives W itself for a float base (not a copy, and disposing the
/// result leaves the layer's weight alone) and a fresh dequantized copy for a quantized one (freed on dispose), and every
/// named adapter of a layer reads the one storage in force.
/// </summary>
public class FrozenWeightTests
{
    [Fact]
    public void A_float_base_gives_its_own_parameter_and_keeps_it_after_dispose()
    {
        using var model = new QuantizedTestModel(seed: 3);
        var frozen = model.Up.Base.Weight;

        Assert.Equal(LoraBase.Float32, frozen.Kind);
        Assert.True(frozen.KeepDenseForBackward);
        using (var dense = frozen.Dense(ScalarType.Float64))
        {
            Assert.Equal(model.UpLayer.weight!.Handle, dense.Tensor.Handle);
        }
        Assert.False(model.UpLayer.weight!.IsInvalid);
        Assert.Equal(QuantizedTestModel.Hidden * QuantizedTestModel.Width, model.UpLayer.weight!.numel());
    }

    [Fact]
    public void A_quantized_base_gives_a_dequantized_copy_freed_on_dispose_and_named_adapters_share_it()
    {
        using var model = new QuantizedTestModel(seed: 4);
        model.AddAdapter("other", new LoraOptions(2, 2, 0, false));
        model.QuantizeBase(LoraBase.Int8);
        var frozen = model.Up.Base.Weight;

        Assert.Equal(LoraBase.Int8, frozen.Kind);
        Assert.False(frozen.KeepDenseForBackward);
        Assert.Same(frozen, model.Up.FindAdapter("other")!.Base.Weight);
        using var expected = model.Up.QuantizedBase!.Dequantize(ScalarType.Float64);
        Tensor copy;
        using (var dense = frozen.Dense(ScalarType.Float64))
        {
            copy = dense.Tensor;
            Assert.Equal(ScalarType.Float64, copy.dtype);
            Assert.True(copy.eq(expected).all().item<bool>(), "Dense differs from Dequantize");
        }
        Assert.True(copy.IsInvalid);
    }
}
