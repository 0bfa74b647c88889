using System.Text.Json.Nodes;
using static LoraSdk.Tests.Adapters.AdapterTestKit;

namespace LoraSdk.Tests.Adapters;

/// <summary>Loads that used to succeed silently or with a misleading message: NaN/Inf values, a file path, foreign target_modules.</summary>
public sealed class AdapterLoadSafetyTests : IDisposable
{
    private readonly TempFolder _folder = NewFolder();
    private readonly TinyNet _source = new();
    private readonly TinyNet _target;

    public AdapterLoadSafetyTests()
    {
        RandomizeLora(_source, seed: 31);
        _source.SaveAdapter(_folder.Path);
        _target = FreshCopy(_source, loraSeed: 32);
    }

    public void Dispose() => _folder.Dispose();

    private string TensorPath => _folder.Combine(AdapterModelExtensions.WeightsFileName);
    private string ConfigPath => _folder.Combine(AdapterConfig.FileName);

    private string PoisonFirstLoraB(int flatIndex, float value)
    {
        var file = SafetensorsTestFile.Read(TensorPath);
        var tensors = file.Entries.ToDictionary(e => e.Key, e => (e.Value.Shape, Values: file.Floats(e.Key)));
        string key = tensors.Keys.Where(k => k.EndsWith(".lora_B.weight", StringComparison.Ordinal)).Order(StringComparer.Ordinal).First();
        tensors[key].Values[flatIndex] = value;
        File.WriteAllBytes(TensorPath, SafetensorsTestFile.WriteF32(tensors.Select(t => (t.Key, t.Value.Shape, t.Value.Values))));
        return key;
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "+Inf")]
    [InlineData(float.NegativeInfinity, "-Inf")]
    public void NonFiniteValuesAreRefusedNamingFileKeyAndFirstIndex(float poison, string shown)
    {
        // The first lora_B (blocks.0.query) is [6, 4]: flat index 5 is row 1, column 1.
        string key = PoisonFirstLoraB(5, poison);
        var shape = SafetensorsTestFile.Read(TensorPath).Entries[key].Shape;
        string index = $"[{5 / shape[1]}, {5 % shape[1]}]";
        var before = Snapshot(_target);

        var error = Assert.Throws<AdapterFormatException>(() => _target.LoadAdapter(_folder.Path));

        Assert.Equal(TensorPath, error.FilePath);
        Assert.Equal(key, error.Key);
        Assert.Contains($"holds {shown} at index {index}", error.Message);
        Assert.Contains("AllowNonFiniteValues", error.Message);
        AssertUnchanged(before, _target);
    }

    [Fact]
    public void TheOptOutLoadsNonFiniteValues()
    {
        string key = PoisonFirstLoraB(0, float.NaN);
        _target.LoadAdapter(_folder.Path, new AdapterLoadOptions { AllowNonFiniteValues = true });
        var loaded = _target.LoraParameters().Single(p => "base_model.model." + p.Name == key).Parameter;
        Assert.True(float.IsNaN(loaded.reshape(-1)[0].item<float>()));
    }

    [Fact]
    public void TryLoadAdapterReportsTheProblemInOneLine()
    {
        PoisonFirstLoraB(0, float.NaN);
        var before = Snapshot(_target);
        Assert.False(_target.TryLoadAdapter(_folder.Path, out var problem));
        Assert.StartsWith(TensorPath, problem);
        Assert.DoesNotContain('\n', problem);
        Assert.False(_target.TryLoadAdapter(_folder.Combine("missing"), out problem));
        Assert.Contains("does not exist", problem);
        AssertUnchanged(before, _target);
    }

    [Fact]
    public void AFileInsteadOfTheFolderIsCalledAFile()
    {
        var error = Assert.Throws<IOException>(() => _target.LoadAdapter(TensorPath));
        Assert.Contains($"'{TensorPath}' is a file, not an adapter folder", error.Message);
        Assert.DoesNotContain("does not exist", error.Message);
    }

    [Fact]
    public void TargetModulesNamingLayersTheModelLacksAreWarnedAbout()
    {
        var json = JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();
        json["target_modules"] = new JsonArray("query", "value", "conv", "dense", "out_proj");
        File.WriteAllText(ConfigPath, json.ToJsonString());
        var warnings = new List<string>();

        _target.LoadAdapter(_folder.Path, new AdapterLoadOptions { Warning = warnings.Add });

        var warning = Assert.Single(warnings);
        Assert.StartsWith($"{ConfigPath}: warning: target_modules names dense, out_proj, which match no adapted layer", warning);
        AssertSameLora(_source, _target);
    }

    [Fact]
    public void MatchingTargetModulesLoadWithoutAWord()
    {
        var warnings = new List<string>();
        _target.LoadAdapter(_folder.Path, new AdapterLoadOptions { Warning = warnings.Add });
        Assert.Empty(warnings);
    }
}
