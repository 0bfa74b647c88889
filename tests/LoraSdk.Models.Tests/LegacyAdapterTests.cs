using LoraSdk;
using LoraSdk.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>Adapters saved before the BERT encoder took HuggingFace's module paths still load, with one warning line.</summary>
public sealed class LegacyAdapterTests
{
    // What LoraSdk wrote before: attention.self.query → attention.query (the only adapted layers were query/value).
    private static string OldKey(string key) => key.Replace(".attention.self.", ".attention.", StringComparison.Ordinal);

    [Fact]
    public void An_adapter_with_the_old_BERT_paths_loads_under_the_new_ones_with_one_warning_line()
    {
        using var folder = new TempDirectory();
        string current = Path.Combine(folder.Path, "current"), old = Path.Combine(folder.Path, "old");
        using var trained = new SequenceClassifier(TinyBert.Create(seed: 3), labelCount: 3);
        using (no_grad())
            foreach (var (_, p) in trained.LoraParameters()) p.copy_(randn_like(p));
        trained.SaveAdapter(current, new AdapterSaveOptions { ModulesToSave = ["classifier"] });

        Directory.CreateDirectory(old);
        File.Copy(Path.Combine(current, AdapterConfig.FileName), Path.Combine(old, AdapterConfig.FileName));
        var tensors = Safetensors.LoadStateDict(Path.Combine(current, AdapterModelExtensions.WeightsFileName));
        Assert.Contains(tensors.Keys, k => k != OldKey(k));
        SafetensorsFile.Write(Path.Combine(old, AdapterModelExtensions.WeightsFileName), tensors.Select(t => (OldKey(t.Key), t.Value)));

        using var fresh = new SequenceClassifier(TinyBert.Create(seed: 3), labelCount: 3);
        var errors = new StringWriter();
        var stderr = Console.Error;
        Console.SetError(errors);
        try { fresh.LoadAdapter(old); }
        finally { Console.SetError(stderr); }

        var expected = trained.LoraParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, parameter) in fresh.LoraParameters())
            Assert.True(parameter.eq(expected[name]).all().item<bool>(), $"{name} differs");
        var lines = errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var warning = Assert.Single(lines);
        Assert.Contains("8 tensor key(s) use module paths of an earlier LoraSdk version", warning);
        Assert.Contains("attention.query/key/value → attention.self.*", warning);
    }

    [Theory]
    [InlineData("encoder.layer.2.attention.query.lora_A.weight", "encoder.layer.2.attention.self.query.lora_A.weight")]
    [InlineData("encoder.layer.0.attention.output.weight", "encoder.layer.0.attention.output.dense.weight")]
    [InlineData("encoder.layer.0.attention.LayerNorm.bias", "encoder.layer.0.attention.output.LayerNorm.bias")]
    [InlineData("encoder.layer.1.intermediate.weight", "encoder.layer.1.intermediate.dense.weight")]
    [InlineData("encoder.layer.1.output.bias", "encoder.layer.1.output.dense.bias")]
    [InlineData("encoder.layer.1.LayerNorm.weight", "encoder.layer.1.output.LayerNorm.weight")]
    [InlineData("embeddings.LayerNorm.weight", null)]
    public void Old_paths_map_to_HuggingFace_paths(string old, string? current)
    {
        Assert.Equal(current, LegacyBertPaths.CurrentPath(old));
    }
}
