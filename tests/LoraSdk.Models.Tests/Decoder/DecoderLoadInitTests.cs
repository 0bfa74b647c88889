using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Decoder;

/// <summary>
/// <see cref="CausalLM.Load"/> builds no weight it then overwrites: a random init of the float projections and the
/// embedding wrote every page of them before the checkpoint's values did, which (with glibc keeping the freed pages)
/// took an NF4 load of the SmolLM2-135M shape to 2.7× its memory goal (docs/benchmarks.md). The only random numbers
/// a load draws are the adapters' own initialisation, so replaying those from the same seed leaves the generator in
/// the same state. (In the collection that runs alone: other tests draw from the same global generator.)
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public sealed class DecoderLoadInitTests
{
    [Theory]
    [InlineData(LoraBase.Float32)]
    [InlineData(LoraBase.Nf4)]
    public void Load_draws_random_numbers_for_the_adapters_only(LoraBase kind)
    {
        using var dir = new TempDirectory();
        var spec = new TinyDecoderSpec { Tied = false }; // lm_head too
        string folder = Path.Combine(dir.Path, "model");
        spec.WriteFolder(folder, spec.RandomWeights(3));

        manual_seed(11);
        using var model = CausalLM.Load(folder, new CausalLMLoadOptions { Base = kind });
        using var afterLoad = rand(16);

        // Every adapter, and every stand-in of a projection left plain, draws its initialisation once, in construction order.
        manual_seed(11);
        foreach (var layer in model.Model.Layers)
            foreach (var owner in new nn.Module[] { layer.SelfAttention, layer.Mlp })
                foreach (var (_, child) in owner.named_children().Where(c => c.module is TorchSharp.Modules.Linear))
                    (LoraRouter.TryGetAdapter(child, out var adapter) || LoraRouter.TryGetStandIn(child, out adapter)
                        ? adapter : throw new InvalidOperationException("a projection without adapter or stand-in")).ResetLoraParameters();
        using var replayed = rand(16);

        Assert.True(afterLoad.eq(replayed).all().item<bool>(), "Load drew random numbers beyond the adapters' initialisation (a base weight initialised before being overwritten?)");
    }
}

