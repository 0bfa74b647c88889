using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>Removing an adapter at run time (what CausalLM.LoadAdapter does to re-target) and putting it back.</summary>
public sealed class DetachTests
{
    private sealed class Owner : nn.Module<Tensor, Tensor>
    {
        public readonly Linear Layer = nn.Linear(4, 3);

        public Owner() : base(nameof(Owner)) => RegisterComponents();

        public override Tensor forward(Tensor x) => LoraRouter.Forward(Layer, x, "Owner.Layer");
    }

    [Fact]
    public void A_detached_layer_runs_plain_is_left_out_of_the_model_and_reattaches()
    {
        using var owner = new Owner();
        var adapter = LoraAdapter.Attach(owner, "Layer", owner.Layer, new LoraOptions(2, 4));
        using (no_grad()) ((LinearLoraAdapter)adapter).LoraB.fill_(0.5);
        using var x = randn(2, 4);
        using var plain = owner.Layer.forward(x);
        using var adapted = owner.call(x);
        Assert.True((adapted - plain).abs().max().item<float>() > 1e-3);

        adapter.Detach();
        Assert.Empty(owner.ActiveLoraAdapters());
        Assert.DoesNotContain(owner.named_parameters(), p => p.name.Contains("lora"));
        using var detached = owner.call(x);
        Assert.Equal(0, (detached - plain).abs().max().item<float>());

        adapter.Reattach();
        Assert.Single(owner.ActiveLoraAdapters());
        using var again = owner.call(x);
        Assert.Equal(0, (again - adapted).abs().max().item<float>());
    }

    [Fact]
    public void A_merged_adapter_is_not_detached()
    {
        using var owner = new Owner();
        var adapter = LoraAdapter.Attach(owner, "Layer", owner.Layer, new LoraOptions(2, 4));
        adapter.Merge();
        var error = Assert.Throws<InvalidOperationException>(adapter.Detach);
        Assert.Contains("merged", error.Message);
        Assert.Single(owner.ActiveLoraAdapters());
    }

    [Fact]
    public void A_layer_never_adapted_still_fails_clearly_in_the_router()
    {
        using var owner = new Owner();
        var error = Assert.Throws<InvalidOperationException>(() => owner.call(randn(1, 4)));
        Assert.Contains("Owner.Layer", error.Message);
    }

    [Fact]
    public void A_target_left_out_by_Targets_runs_plain_and_its_stand_in_can_quantize_it()
    {
        using var owner = new Owner();
        var target = new LoraTargetInfo("Layer", LoraLayerKind.Linear, new LoraOptions(2, 4));
        LoraAdapter standIn;
        using (LoraOptionsOverride.Apply(new LoraOptionsOverride { Targets = new HashSet<string> { "Other" } }))
            standIn = GeneratedLora.Attach(owner, target, owner.Layer);
        Assert.Empty(owner.ActiveLoraAdapters());
        using var x = randn(2, 4);
        using var plain = owner.Layer.forward(x);
        using var routed = owner.call(x);
        Assert.Equal(0, (routed - plain).abs().max().item<float>());

        standIn.QuantizePlain(LoraBase.Int8);
        Assert.Equal(0, owner.Layer.weight!.numel());
        Assert.Contains(owner.named_buffers(), b => b.name == "Layer_base_quantized.weight_int8");
        using var dequantized = standIn.QuantizedBase!.Dequantize(ScalarType.Float32);
        using var expected = nn.functional.linear(x, dequantized, owner.Layer.bias);
        using var quantized = owner.call(x);
        Assert.Equal(0, (quantized - expected).abs().max().item<float>());
        Assert.True((quantized - plain).abs().max().item<float>() > 0); // int8 rounding is visible: the quantized path ran
    }
}
