using LoraSdk.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>
/// Routing keeps TorchSharp's hook semantics: a routed <c>layer.call(x)</c> still runs the hooks registered
/// on the layer (as on an unadapted layer), a routed <c>layer.forward(x)</c> does not.
/// </summary>
[Collection(SeededTorch.Name)]
public class RouterHookTests
{
    [Fact]
    public void ARoutedCallRunsTheTargetsHooksAndStillAddsTheUpdate()
    {
        using var model = LayerCase.Linear.CreateWithRandomFactors();
        using var input = LayerCase.Linear.Input();
        using var expected = Float64Reference.Adapted(model.Adapter, input);
        Tensor? captured = null;
        int calls = 0;
        var linear = (nn.Module<Tensor, Tensor>)model.Layer;
        var hook = linear.register_forward_hook((_, _, output) => { calls++; captured = output; return null!; });

        using var output = LoraRouter.Call(linear, input, "RouterHookTests.linear");

        hook.remove();
        Assert.Equal(1, calls);
        Close.Relative(expected, output, 1e-5);
        // The hook saw the target's own output, and adding the update did not change what it captured.
        Close.Relative(Float64Reference.Base(model.Adapter, input), captured!, 1e-6);
    }

    [Fact]
    public void ARoutedForwardSkipsHooksLikeTorchSharpsForward()
    {
        using var model = LayerCase.Linear.CreateWithRandomFactors();
        using var input = LayerCase.Linear.Input();
        int calls = 0;
        var hook = model.Layer.register_forward_hook((_, _, _) => { calls++; return null!; });

        using var output = LoraRouter.Forward(model.Layer, input, "RouterHookTests.Layer");

        hook.remove();
        Assert.Equal(0, calls);
        Close.Relative(Float64Reference.Adapted(model.Adapter, input), output, 1e-5);
    }
}
