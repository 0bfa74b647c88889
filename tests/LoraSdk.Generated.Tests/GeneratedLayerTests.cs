using LoraSdk.Generated.Tests.Models;
using static LoraSdk.Generated.Tests.TestTensors;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests;

/// <summary>The generated ILoraLayer members of one module.</summary>
public sealed class GeneratedLayerTests
{
    [Fact]
    public void Safe_merge_of_a_module_is_all_or_nothing()
    {
        manual_seed(41);
        using var model = new SelfAttention(8);
        RandomizeLora(model);
        var adapters = model.ActiveLoraAdapters().Select(a => a.Adapter).ToList();
        var weightsBefore = adapters.Select(a => Values(a.BaseWeight)).ToList();
        // The last adapter would put NaN into its base weight: nothing may be merged.
        using (no_grad()) ((LinearLoraAdapter)adapters[^1]).LoraB.fill_(double.NaN);

        var error = Assert.Throws<InvalidOperationException>(() => model.Merge(safe: true));
        Assert.Contains("output", error.Message);
        Assert.False(model.IsMerged);
        Assert.All(adapters, a => Assert.False(a.IsMerged));
        for (int i = 0; i < adapters.Count; i++)
            Assert.Equal(weightsBefore[i], Values(adapters[i].BaseWeight));
    }

    [Fact]
    public void Adapters_are_exposed_through_ILoraLayer_in_declaration_order()
    {
        using var model = new SelfAttention(8);
        var layer = (ILoraLayer)model;
        Assert.Equal(["query", "key", "value", "output"], layer.ModuleAdapters.Select(a => a.TargetName));
        Assert.Equal([8, 8, 8, 4], layer.ModuleAdapters.Select(a => a.Rank));
    }
}
