using LoraSdk;
using LoraSdk.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>The encoder's [LoRA] attention: adapters on query/value, and imports that write base weights only.</summary>
public sealed class LoraEncoderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Every_layer_gets_rank_8_adapters_on_query_and_value_with_peft_names()
    {
        using var model = TinyBert.Create(seed: 1);

        var names = model.LoraParameters().Select(p => p.Name).ToList();
        var expected = Enumerable.Range(0, TinyBert.Config.NumLayers)
            .SelectMany(layer => new[] { "query", "value" }.SelectMany(target => new[] { "lora_A.weight", "lora_B.weight" }
                .Select(tensor => $"encoder.layer.{layer}.attention.self.{target}.{tensor}")));
        Assert.Equal(expected.Order(), names.Order());
        var a = model.LoraParameters().First(p => p.Name.EndsWith("query.lora_A.weight")).Parameter;
        Assert.Equal([8L, TinyBert.Config.HiddenSize], a.shape);
        Assert.All(model.ActiveLoraAdapters(), adapter => Assert.Equal(2.0, adapter.Adapter.Scaling));
    }

    [Fact]
    public void Classifier_with_lora_trains_under_one_percent_of_minilm()
    {
        using var model = new SequenceClassifier(BertConfig.MiniLmL6, labelCount: 6);
        model.FreezeBase("classifier");

        var count = model.CountParameters();

        long lora = model.LoraParameters().Sum(p => p.Parameter.numel());
        Assert.Equal(6 * 2 * (8 * 384 + 384 * 8), lora);
        Assert.Equal(lora + 384 * 6 + 6, count.Trainable);
        Assert.True(count.Trainable < 0.01 * count.Total, $"{count.Trainable} of {count.Total} trainable");
    }

    [Fact]
    public void Import_writes_base_weights_and_leaves_the_adapters_alone()
    {
        using var source = TinyBert.Create(seed: 1);
        using var target = TinyBert.Create(seed: 2);
        using (no_grad())
        {
            foreach (var (_, p) in target.LoraParameters()) p.normal_(0, 0.1);
        }
        var adaptersBefore = target.LoraParameters().Select(p => p.Parameter.clone()).ToList();
        var path = _dir.File("model.safetensors");
        using (var stream = File.Create(path)) Safetensors.SaveStateDict(stream, TinyBert.HuggingFaceStateDict(source));

        var report = CheckpointImporter.Import(target, path);

        TinyBert.AssertSameWeights(source, target);
        Assert.Equal(source.BaseParameters().Count, report.ParametersLoaded);
        var adaptersAfter = target.LoraParameters().Select(p => p.Parameter).ToList();
        Assert.All(adaptersBefore.Zip(adaptersAfter), pair => Assert.True(pair.First.equal(pair.Second).all().item<bool>()));
    }

    [Fact]
    public void Import_refuses_while_an_adapter_is_merged()
    {
        using var source = TinyBert.Create(seed: 1);
        using var target = TinyBert.Create(seed: 2);
        var path = _dir.File("model.safetensors");
        using (var stream = File.Create(path)) Safetensors.SaveStateDict(stream, TinyBert.HuggingFaceStateDict(source));
        target.MergeLoRA();

        var error = Assert.Throws<InvalidOperationException>(() => CheckpointImporter.Import(target, path));

        Assert.Contains("'encoder.layer.0.attention.self.query' is merged", error.Message);
        Assert.Contains("UnmergeLoRA()", error.Message);
    }

    [Fact]
    public void Adapters_change_the_output_and_merging_keeps_it()
    {
        using var model = TinyBert.Create(seed: 3);
        using (no_grad())
        {
            foreach (var (_, p) in model.LoraParameters()) p.normal_(0, 0.1);
        }
        using var ids = tensor(new long[] { 1, 5, 9, 13, 2, 0 }, [1, 6]);
        using var mask = tensor(new long[] { 1, 1, 1, 1, 1, 0 }, [1, 6]);
        using var _ = no_grad();

        using var adapted = model.call(ids, mask);
        Tensor baseline;
        using (model.DisableLoRA()) baseline = model.call(ids, mask);
        model.MergeLoRA();
        using var merged = model.call(ids, mask);

        Assert.True((adapted - baseline).abs().max().item<float>() > 1e-3, "the adapters did not change the output");
        Assert.True(merged.allclose(adapted, rtol: 0, atol: 1e-5), "merging changed the output");
        baseline.Dispose();
    }
}
