using System.Text.Json.Nodes;
using LoraSdk.Tests.Support;
using TorchSharp;
using static LoraSdk.Tests.Adapters.AdapterTestKit;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Adapters;

/// <summary>DoRA adapter folders: PEFT's <c>use_dora</c> and <c>lora_magnitude_vector</c> keys, written and read.</summary>
public sealed class DoraAdapterFileTests
{
    private static LoraOptions Dora(string path) => new(4, 8, useDoRA: true);

    [Fact]
    public void ADoraModelRoundTripsWithPeftsKeysAndShapes()
    {
        using var folder = NewFolder();
        manual_seed(5);
        var original = new TinyNet(Dora);
        RandomizeLora(original, seed: 1);
        original.SaveAdapter(folder.Path);

        var config = JsonNode.Parse(File.ReadAllText(folder.Combine(AdapterConfig.FileName)))!;
        Assert.True(config["use_dora"]!.GetValue<bool>());
        var entries = SafetensorsTestFile.Read(folder.Combine("adapter_model.safetensors")).Entries;
        Assert.Equal([6], entries["base_model.model.blocks.0.query.lora_magnitude_vector"].Shape);        // Linear: (out)
        Assert.Equal([TinyNet.Dim], entries["base_model.model.embed.lora_magnitude_vector"].Shape);        // Embedding: (dim)
        Assert.Equal([1, 4, 1, 1], entries["base_model.model.head.conv.lora_magnitude_vector"].Shape);    // Conv2d: (1, out, 1, 1)
        Assert.Equal(TinyNet.TargetPaths.Length * 3, entries.Count);

        var fresh = FreshCopy(original, loraSeed: 2, Dora);
        fresh.LoadAdapter(folder.Path);
        AssertSameLora(original, fresh);
        AssertSameOutput(original, fresh);
    }

    [Fact]
    public void APeftWrittenDoraFolderLoads()
    {
        // The layout PEFT's save_pretrained writes for a Linear target: lora_A/B weights and the bare magnitude key.
        using var folder = NewFolder();
        manual_seed(6);
        using var model = new AdaptedLayer(nn.Linear(6, 5), new LoraOptions(2, 4, useDoRA: true));
        var a = randn(2, 6);
        var b = randn(5, 2);
        var m = rand(5) + 1;
        File.WriteAllText(folder.Combine(AdapterConfig.FileName),
            """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["layer"], "use_dora": true, "use_rslora": false}""");
        SafetensorsWriter.Write(folder.Combine("adapter_model.safetensors"),
            [("base_model.model.layer.lora_A.weight", a), ("base_model.model.layer.lora_B.weight", b), ("base_model.model.layer.lora_magnitude_vector", m)],
            new Dictionary<string, string> { ["format"] = "pt" });

        model.LoadAdapter(folder.Path);
        Assert.True(Close.Identical(m, model.Adapter.Magnitude!));
        using var input = randn(3, 6);
        using var _ = model.forward(input); // the first forward keeps the loaded m (it is not provisional)
        Assert.True(Close.Identical(m, model.Adapter.Magnitude!));
    }

    [Fact]
    public void UseDoraMustAgreeBetweenTheFileAndTheModel()
    {
        using var folder = NewFolder();
        manual_seed(7);
        new TinyNet(Dora).SaveAdapter(folder.Path);
        var plain = new TinyNet();
        var before = Snapshot(plain);
        var error = Assert.Throws<AdapterFormatException>(() => plain.LoadAdapter(folder.Path));
        Assert.Contains("use_dora true", error.Message);
        Assert.Contains("UseDoRA = true", error.Message);
        AssertUnchanged(before, plain);

        using var plainFolder = NewFolder();
        new TinyNet().SaveAdapter(plainFolder.Path);
        var dora = new TinyNet(Dora);
        Assert.Contains("use_dora false", Assert.Throws<AdapterFormatException>(() => dora.LoadAdapter(plainFolder.Path)).Message);
    }

    [Fact]
    public void SomeTargetsWithDoraCannotBeSavedAsOnePeftConfig()
    {
        using var folder = NewFolder();
        var mixed = new TinyNet(path => new LoraOptions(4, 8, useDoRA: path == "embed"));
        var error = Assert.Throws<NotSupportedException>(() => mixed.SaveAdapter(folder.Path));
        Assert.Contains("use_dora", error.Message);
    }

    [Fact]
    public void ANamedDoraAdapterLoadsBesideTheDefault()
    {
        using var folder = NewFolder();
        manual_seed(8);
        var source = new TinyNet(Dora);
        RandomizeLora(source, seed: 3);
        source.SaveAdapter(folder.Path);

        var model = new TinyNet();
        model.load_state_dict(source.state_dict(), strict: false); // the base weights (the plain model has no magnitudes)
        model.LoadAdapter(folder.Path, "dora");
        using (model.UseAdapter("dora"))
        {
            using var expected = Output(source);
            using var actual = Output(model);
            Assert.True(Same(expected, actual), "the named DoRA adapter must compute what its source model computes");
        }
    }
}
