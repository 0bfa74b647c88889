using LoraSdk.Generated.Tests.Models;
using TorchSharp;
using TorchSharp.Modules;
using static LoraSdk.Generated.Tests.TestTensors;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests;

/// <summary>
/// Issue #10's model shapes on generated code, against float64 formulas: every adapter is routed (adapted =
/// base + s·B·A·x with non-zero B), merge gives the unmerged output, and adapter files round-trip.
/// </summary>
public sealed class RealModelPatternTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "lora-patterns-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Conv1d_target_adds_scaled_B_of_A_of_x()
    {
        using var x = randn(2, 3, 9);
        var model = CheckPattern(() => new AudioConv(), x, m =>
        {
            var adapter = (Conv1dLoraAdapter)Adapter(m, "conv");
            var conv = (Conv1d)adapter.Target;
            using var x64 = x.to(float64);
            using var w = conv.weight!.to(float64);
            using var b = conv.bias!.to(float64);
            using var a = adapter.LoraA.to(float64);
            using var bMat = adapter.LoraB.to(float64);
            using var baseOut = nn.functional.conv1d(x64, w, b, stride: 2, padding: 1);
            using var down = nn.functional.conv1d(x64, a, stride: 2, padding: 1);
            using var up = nn.functional.conv1d(down, bMat);
            return baseOut.add(up.mul(3.0 / 2));
        }, ["conv.lora_A.weight", "conv.lora_B.weight"]);
        using (model)
        {
            var adapter = (Conv1dLoraAdapter)Adapter(model, "conv");
            Assert.Equal(LoraLayerKind.Conv1d, adapter.Kind);
            Assert.Equal([2L, 3, 3], adapter.LoraA.shape);
            Assert.Equal([5L, 2, 1], adapter.LoraB.shape);
        }
    }

    [Fact]
    public void Optional_layer_left_null_is_not_adapted()
    {
        manual_seed(31);
        using var model = new ResidualBlock(project: false);
        Assert.Equal(["body.lora_A.weight", "body.lora_B.weight"], model.LoraParameters().Select(p => p.Name));
        RandomizeLora(model);
        using var x = randn(3, 4);
        using var actual = model.forward(x);
        using var x64 = x.to(float64);
        using var body = LinearReference(x64, (LinearLoraAdapter)Adapter(model, "body"), 2.0);
        using var expected = body.add(x64).add(x64);
        Assert.True(RelativeError(actual, expected) < 1e-5, $"relative error {RelativeError(actual, expected)}");

        model.SaveAdapter(_directory);
        var config = AdapterConfig.Read(Path.Combine(_directory, AdapterConfig.FileName));
        Assert.Equal(["body"], config.TargetModules);
    }

    [Fact]
    public void Optional_layer_present_is_adapted_and_its_conditional_call_routed()
    {
        using var x = randn(3, 4);
        CheckPattern(() => new ResidualBlock(project: true), x, m =>
        {
            using var x64 = x.to(float64);
            using var body = LinearReference(x64, (LinearLoraAdapter)Adapter(m, "body"), 2.0);
            using var down = LinearReference(x64, (LinearLoraAdapter)Adapter(m, "downsample"), 2.0);
            return body.add(down).add(down);   // downsample.forward(x) and downsample?.call(x), both adapted
        }, ["body.lora_A.weight", "body.lora_B.weight", "downsample.lora_A.weight", "downsample.lora_B.weight"]).Dispose();
    }

    [Fact]
    public void ModuleList_and_ModuleDict_layers_are_adapted_one_by_one_and_routed()
    {
        using var x = randn(3, 4);
        CheckPattern(() => new MixtureOfExperts(), x, m =>
        {
            using var x64 = x.to(float64);
            Tensor Lin(string path, Tensor input) => LinearReference(input, (LinearLoraAdapter)Adapter(m, path), 2.0);
            var hidden = Lin("experts.0", x64);
            for (int i = 0; i < 3; i++) hidden = hidden.add(Lin($"experts.{i}", x64));
            return Lin("heads.left", hidden).add(Lin("heads.left", hidden)).add(Lin("heads.right", hidden));
        },
        [
            "experts.0.lora_A.weight", "experts.0.lora_B.weight", "experts.1.lora_A.weight", "experts.1.lora_B.weight",
            "experts.2.lora_A.weight", "experts.2.lora_B.weight", "heads.left.lora_A.weight", "heads.left.lora_B.weight",
            "heads.right.lora_A.weight", "heads.right.lora_B.weight",
        ]).Dispose();
    }

    [Fact]
    public void Derived_class_routes_inherited_targets_and_ILoraLayer_covers_the_base_adapters()
    {
        using var x = randn(3, 4);
        using var model = (TaggerModel)CheckPattern(() => new TaggerModel(), x, m =>
        {
            using var x64 = x.to(float64);
            using var query = LinearReference(x64, (LinearLoraAdapter)Adapter(m, "query"), 2.0);
            using var hidden = query.relu().add(query);
            return LinearReference(hidden, (LinearLoraAdapter)Adapter(m, "head"), 1.0);
        }, ["query.lora_A.weight", "query.lora_B.weight", "head.lora_A.weight", "head.lora_B.weight"]);

        ILoraLayer layer = model;
        Assert.Equal(["query", "head"], layer.ModuleAdapters.Select(a => a.TargetName));
        Assert.Equal(["query", "head"], TaggerModel.LoraTargets.Select(t => t.Name));
        layer.Merge();
        Assert.True(layer.IsMerged);
        Assert.All(model.ActiveLoraAdapters(), a => Assert.True(a.Adapter.IsMerged));
        EncoderBase asBase = model;
        ((ILoraLayer)asBase).Unmerge();   // through the base type: still every adapter of the object
        Assert.All(model.ActiveLoraAdapters(), a => Assert.False(a.Adapter.IsMerged));
    }

    [Fact]
    public void MultiheadAttention_holds_raw_projection_weights_so_it_is_skipped_not_adapted()
    {
        // Why LORA011/LORA004 name it: TorchSharp 0.107's attention packs q/k/v into one raw parameter and
        // exposes no Linear submodule whose forward a generated interceptor could route.
        using var attention = nn.MultiheadAttention(4, 2);
        Assert.Equal(["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"], attention.named_parameters().Select(p => p.name));
        Assert.DoesNotContain(attention.named_modules(), m => m.module is Linear);
    }

    /// <summary>
    /// Builds the model, gives its adapters non-zero B, checks the output against <paramref name="reference"/>
    /// (float64), that MergeLoRA keeps it (≤ 1e-5) and UnmergeLoRA restores it, the LoRA parameter names, and
    /// that a saved adapter loaded into a fresh model (same base weights) reproduces it. Returns the model.
    /// </summary>
    private nn.Module<Tensor, Tensor> CheckPattern(Func<nn.Module<Tensor, Tensor>> create, Tensor x,
        Func<nn.Module, Tensor> reference, string[] names)
    {
        manual_seed(41);
        var model = create();
        model.eval();
        Assert.Equal(names, model.LoraParameters().Select(p => p.Name));
        RandomizeLora(model, seed: 42);
        using var actual = model.forward(x);
        using (var expected = reference(model))
            Assert.True(RelativeError(actual, expected) < 1e-5, $"relative error {RelativeError(actual, expected)}");
        using (model.DisableLoRA())
        using (var baseOnly = model.forward(x))
            Assert.True(RelativeError(baseOnly, actual) > 1e-3, "the adapters must change the output");

        model.MergeLoRA();
        using (var merged = model.forward(x))
            Assert.True(RelativeError(merged, actual) < 1e-5, $"merged relative error {RelativeError(merged, actual)}");
        model.UnmergeLoRA();
        using (var unmerged = model.forward(x))
            Assert.True(RelativeError(unmerged, actual) < 1e-5, $"unmerged relative error {RelativeError(unmerged, actual)}");

        Directory.CreateDirectory(_directory);
        var folder = Path.Combine(_directory, model.GetType().Name);
        model.SaveAdapter(folder);
        manual_seed(41);
        using var fresh = create();
        fresh.eval();
        fresh.LoadAdapter(folder);
        using (var loaded = fresh.forward(x))
            Assert.True(RelativeError(loaded, actual) < 1e-6, $"loaded relative error {RelativeError(loaded, actual)}");
        return model;
    }

    private static LoraAdapter Adapter(nn.Module model, string path) =>
        model.ActiveLoraAdapters().Single(a => a.Path == path).Adapter;
}
