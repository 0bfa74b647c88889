using System.Text.Json.Nodes;
using TorchSharp;
using static LoraSdk.Tests.Adapters.AdapterTestKit;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Adapters;

public class AdapterRoundTripTests
{
    private static LoraOptions Mixed(string path) => path switch
    {
        "embed" => new LoraOptions(2, 4),
        "blocks.1.value" => new LoraOptions(3, 8),
        "head.conv" => new LoraOptions(4, 2.5),
        _ => new LoraOptions(4, 8),
    };

    [Fact]
    public void LinearConv2dAndEmbeddingAdaptersRoundTripExactly()
    {
        using var folder = NewFolder();
        var original = new TinyNet();
        RandomizeLora(original, seed: 1);
        original.SaveAdapter(folder.Path);

        var fresh = FreshCopy(original, loraSeed: 2);
        using (var before = Output(fresh)) using (var expected = Output(original))
            Assert.False(Same(before, expected), "the fresh model must start out different");

        fresh.LoadAdapter(folder.Path);

        AssertSameLora(original, fresh);
        AssertSameOutput(original, fresh);
        Assert.Equal(TinyNet.TargetPaths.Order(), original.ActiveLoraAdapters().Select(a => a.Path).Order());
    }

    [Fact]
    public void RankAndAlphaPatternsHoldTheExceptionsToTheMostCommonValues()
    {
        using var folder = NewFolder();
        var original = new TinyNet(Mixed);
        RandomizeLora(original, seed: 3);
        original.SaveAdapter(folder.Path);

        var config = AdapterConfig.Read(folder.Combine(AdapterConfig.FileName));
        Assert.Equal(4, config.R);
        Assert.Equal(8, config.LoraAlpha);
        Assert.Equal(new Dictionary<string, int> { ["embed"] = 2, ["blocks.1.value"] = 3 }, config.RankPattern);
        Assert.Equal(new Dictionary<string, double> { ["embed"] = 4, ["head.conv"] = 2.5 }, config.AlphaPattern);
        foreach (var path in TinyNet.TargetPaths)
        {
            Assert.Equal(Mixed(path).Rank, config.RankFor(path));
            Assert.Equal(Mixed(path).Alpha, config.AlphaFor(path));
        }

        var fresh = FreshCopy(original, loraSeed: 4, Mixed);
        fresh.LoadAdapter(folder.Path);
        AssertSameLora(original, fresh);
        AssertSameOutput(original, fresh);
    }

    [Fact]
    public void ConfigCarriesThePeftKeysAPythonLoaderNeeds()
    {
        using var folder = NewFolder();
        var model = new TinyNet(path => new LoraOptions(4, 8, dropout: 0.1));
        model.SaveAdapter(folder.Path, new AdapterSaveOptions { BaseModelNameOrPath = "org/tiny", TaskType = "TOKEN_CLS" });

        var json = JsonNode.Parse(File.ReadAllText(folder.Combine(AdapterConfig.FileName)))!.AsObject();
        Assert.Equal("LORA", (string?)json["peft_type"]);
        Assert.Equal(4, (int?)json["r"]);
        Assert.Equal(8, (double?)json["lora_alpha"]);
        Assert.Equal(0.1, (double?)json["lora_dropout"]);
        Assert.Equal(["conv", "embed", "query", "value"], json["target_modules"]!.AsArray().Select(n => (string?)n));
        Assert.False((bool?)json["use_rslora"]);
        Assert.Equal("none", (string?)json["bias"]);
        Assert.False((bool?)json["fan_in_fan_out"]);
        Assert.True((bool?)json["init_lora_weights"]);
        Assert.Empty(json["rank_pattern"]!.AsObject());
        Assert.Empty(json["alpha_pattern"]!.AsObject());
        Assert.Null(json["modules_to_save"]);
        Assert.True(json.ContainsKey("modules_to_save"));
        Assert.Equal("org/tiny", (string?)json["base_model_name_or_path"]);
        Assert.Equal("TOKEN_CLS", (string?)json["task_type"]);
        Assert.True((bool?)json["inference_mode"]);
        Assert.True(json.ContainsKey("revision"));
    }

    [Theory]
    [InlineData(LoraInit.Gaussian, "gaussian")]
    [InlineData(LoraInit.PiSSA, "pissa")]
    public void InitialisationIsWrittenAsPeftNamesIt(LoraInit init, string expected)
    {
        using var folder = NewFolder();
        var model = new TinyNet(_ => new LoraOptions(2, 4, init: init));
        model.SaveAdapter(folder.Path);
        var json = JsonNode.Parse(File.ReadAllText(folder.Combine(AdapterConfig.FileName)))!;
        Assert.Equal(expected, (string?)json["init_lora_weights"]);
        Assert.Equal(init, AdapterConfig.Read(folder.Combine(AdapterConfig.FileName)).Init);
    }

    [Fact]
    public void ModulesToSaveAreStoredUnderTheirPeftKeysAndLoaded()
    {
        using var folder = NewFolder();
        var original = new TinyNet();
        RandomizeLora(original, seed: 5);
        original.SaveAdapter(folder.Path, new AdapterSaveOptions { ModulesToSave = ["classifier"] });

        var file = SafetensorsTestFile.Read(folder.Combine(AdapterModelExtensions.WeightsFileName));
        Assert.Contains("base_model.model.head.classifier.weight", file.Entries.Keys);
        Assert.Contains("base_model.model.head.classifier.bias", file.Entries.Keys);
        Assert.Equal(["classifier"], AdapterConfig.Read(folder.Combine(AdapterConfig.FileName)).ModulesToSave!);

        var fresh = FreshCopy(original, loraSeed: 6);
        using (no_grad())
            foreach (var (name, p) in fresh.named_parameters().Where(p => p.name.StartsWith("head.classifier.")))
                p.add_(1.0);
        fresh.LoadAdapter(folder.Path);

        var want = original.state_dict();
        var got = fresh.state_dict();
        Assert.True(Same(got["head.classifier.weight"], want["head.classifier.weight"]));
        Assert.True(Same(got["head.classifier.bias"], want["head.classifier.bias"]));
        AssertSameOutput(original, fresh);
    }

    [Fact]
    public void LoadingIntoAMergedModelUnmergesLoadsAndMergesAgain()
    {
        using var folder = NewFolder();
        var original = new TinyNet();
        RandomizeLora(original, seed: 7);
        original.SaveAdapter(folder.Path);
        using var unmergedOutput = Output(original);

        var fresh = FreshCopy(original, loraSeed: 8);
        var baseWeights = fresh.ActiveLoraAdapters().Select(a => a.Adapter.BaseWeight.detach().clone()).ToList();
        fresh.MergeLoRA();

        fresh.LoadAdapter(folder.Path);

        Assert.All(fresh.ActiveLoraAdapters(), a => Assert.True(a.Adapter.IsMerged));
        AssertSameLora(original, fresh);
        using (var merged = Output(fresh))
            // float32 merging rounds; a stale or missing re-merge would be off by O(1).
            Assert.True(merged.allclose(unmergedOutput, rtol: 1e-4, atol: 1e-4), "merged output must equal the loaded adapter's output");
        fresh.UnmergeLoRA();
        var adapters = fresh.ActiveLoraAdapters();
        for (int i = 0; i < adapters.Count; i++)
            Assert.True(adapters[i].Adapter.BaseWeight.allclose(baseWeights[i], rtol: 1e-4, atol: 1e-4), $"base weight of {adapters[i].Path} not restored");
    }

    [Fact]
    public void SavingAMergedModelWritesTheSameTensors()
    {
        using var plain = NewFolder();
        using var merged = NewFolder();
        var model = new TinyNet();
        RandomizeLora(model, seed: 9);
        model.SaveAdapter(plain.Path);
        model.MergeLoRA();
        model.SaveAdapter(merged.Path);

        Assert.Equal(File.ReadAllBytes(Path.Combine(plain.Path, AdapterModelExtensions.WeightsFileName)),
                     File.ReadAllBytes(Path.Combine(merged.Path, AdapterModelExtensions.WeightsFileName)));
    }

    [Fact]
    public void Float64ModelsRoundTripInTheirDtype()
    {
        using var folder = NewFolder();
        var original = new TinyNet();
        original.to(float64);
        RandomizeLora(original, seed: 10);
        original.SaveAdapter(folder.Path);

        var file = SafetensorsTestFile.Read(folder.Combine(AdapterModelExtensions.WeightsFileName));
        Assert.All(file.Entries.Values, e => Assert.Equal("F64", e.DType));

        var fresh = new TinyNet();
        fresh.to(float64);
        fresh.load_state_dict(original.state_dict());
        RandomizeLora(fresh, seed: 11);
        fresh.LoadAdapter(folder.Path);
        AssertSameLora(original, fresh);
    }

    [Fact]
    public void AFileInAnotherDtypeIsConvertedToTheModelsDtype()
    {
        using var folder = NewFolder();
        var wide = new TinyNet();
        wide.to(float64);
        RandomizeLora(wide, seed: 12);
        wide.SaveAdapter(folder.Path);

        var narrow = new TinyNet();
        narrow.LoadAdapter(folder.Path);

        var expected = wide.LoraParameters();
        var actual = narrow.LoraParameters();
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(ScalarType.Float32, actual[i].Parameter.dtype);
            using var cast = expected[i].Parameter.to(float32);
            Assert.True(Same(cast, actual[i].Parameter), expected[i].Name);
        }
    }

    [Fact]
    public void ModelsWithoutAdaptersCannotBeSaved()
    {
        using var folder = NewFolder();
        var plain = nn.Linear(2, 2);
        var error = Assert.Throws<InvalidOperationException>(() => plain.SaveAdapter(folder.Path));
        Assert.Contains("no LoRA adapters", error.Message);
    }

    [Fact]
    public void MixedRsLoraCannotBeExpressedInPeftAndIsRefused()
    {
        using var folder = NewFolder();
        var model = new TinyNet(path => new LoraOptions(4, 8, useRsLoRA: path == "embed"));
        var error = Assert.Throws<NotSupportedException>(() => model.SaveAdapter(folder.Combine("out")));
        Assert.Contains("use_rslora", error.Message);
        Assert.Contains("embed", error.Message);
        Assert.False(Directory.Exists(folder.Combine("out")));
    }
}
