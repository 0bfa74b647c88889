using System.Text.Json.Nodes;
using static LoraSdk.Tests.Adapters.AdapterTestKit;

namespace LoraSdk.Tests.Adapters;

/// <summary>Every bad input fails with an error that names the file and key, and leaves the model bit-identical.</summary>
public sealed class AdapterLoadValidationTests : IDisposable
{
    private readonly TempFolder _folder = NewFolder();
    private readonly TinyNet _source = new();
    private readonly TinyNet _target;

    public AdapterLoadValidationTests()
    {
        RandomizeLora(_source, seed: 21);
        _source.SaveAdapter(_folder.Path);
        _target = FreshCopy(_source, loraSeed: 22);
    }

    public void Dispose() => _folder.Dispose();

    private string ConfigPath => _folder.Combine(AdapterConfig.FileName);
    private string TensorPath => _folder.Combine(AdapterModelExtensions.WeightsFileName);

    /// <summary>
    /// Loads into the target model expecting <typeparamref name="T"/>, first unmerged then merged, and checks
    /// each time that every parameter and buffer is bit-identical afterwards (and the merged model stays merged).
    /// </summary>
    private T LoadFails<T>(string? directory = null) where T : Exception
    {
        var unmerged = Snapshot(_target);
        Assert.Throws<T>(() => _target.LoadAdapter(directory ?? _folder.Path));
        AssertUnchanged(unmerged, _target);

        _target.MergeLoRA();
        var merged = Snapshot(_target);
        var error = Assert.Throws<T>(() => _target.LoadAdapter(directory ?? _folder.Path));
        AssertUnchanged(merged, _target);
        Assert.All(_target.ActiveLoraAdapters(), a => Assert.True(a.Adapter.IsMerged));
        return error;
    }

    private void EditConfig(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();
        edit(json);
        File.WriteAllText(ConfigPath, json.ToJsonString());
    }

    /// <summary>Rewrites the tensor file with the test's own writer after editing the saved tensors.</summary>
    private void EditTensors(Action<Dictionary<string, (long[] Shape, float[] Values)>> edit)
    {
        var file = SafetensorsTestFile.Read(TensorPath);
        var tensors = file.Entries.ToDictionary(e => e.Key, e => (e.Value.Shape, Values: file.Floats(e.Key)));
        edit(tensors);
        File.WriteAllBytes(TensorPath, SafetensorsTestFile.WriteF32(tensors.Select(t => (t.Key, t.Value.Shape, t.Value.Values))));
    }

    [Fact]
    public void MissingFolderNamesThePath()
    {
        string missing = _folder.Combine("nope");
        var error = LoadFails<DirectoryNotFoundException>(missing);
        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public void MissingConfigNamesTheFile()
    {
        File.Delete(ConfigPath);
        var error = LoadFails<FileNotFoundException>();
        Assert.Equal(ConfigPath, error.FileName);
        Assert.Contains(ConfigPath, error.Message);
    }

    [Fact]
    public void MissingTensorFileNamesTheFile()
    {
        File.Delete(TensorPath);
        var error = LoadFails<FileNotFoundException>();
        Assert.Contains(TensorPath, error.Message);
    }

    [Fact]
    public void BadJsonNamesTheFileLineAndPosition()
    {
        File.WriteAllText(ConfigPath, "{\n  \"peft_type\": \"LORA\",\n  \"r\": 4,,\n}");
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal(ConfigPath, error.FilePath);
        Assert.StartsWith(ConfigPath, error.Message);
        Assert.Contains("line 3, position 10", error.Message);
    }

    [Fact]
    public void WrongValueTypeNamesTheKey()
    {
        EditConfig(json => json["r"] = "eight");
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal("r", error.Key);
        Assert.Contains("line 1", error.Message);
    }

    [Fact]
    public void OtherPeftTypesAreRefused()
    {
        EditConfig(json => json["peft_type"] = "IA3");
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal("peft_type", error.Key);
        Assert.Contains("IA3", error.Message);
    }

    [Fact]
    public void TruncatedTensorFileNamesTheFile()
    {
        var bytes = File.ReadAllBytes(TensorPath);
        File.WriteAllBytes(TensorPath, bytes[..^7]);
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal(TensorPath, error.FilePath);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void FileCutInsideTheHeaderNamesTheFile()
    {
        var bytes = File.ReadAllBytes(TensorPath);
        File.WriteAllBytes(TensorPath, bytes[..40]);
        var error = LoadFails<AdapterFormatException>();
        Assert.Contains(TensorPath, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Theory]
    [InlineData((byte)'{', "not valid JSON")]
    [InlineData((byte)0xFF, "not valid UTF-8")]
    public void CorruptHeaderNamesTheFile(byte corruption, string expected)
    {
        var bytes = File.ReadAllBytes(TensorPath);
        bytes[9] = corruption; // the first key's opening quote
        File.WriteAllBytes(TensorPath, bytes);
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal(TensorPath, error.FilePath);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void GarbageInsteadOfSafetensorsNamesTheFile()
    {
        File.WriteAllBytes(TensorPath, [1, 2, 3]);
        var error = LoadFails<AdapterFormatException>();
        Assert.Contains(TensorPath, error.Message);
    }

    [Fact]
    public void WrongShapeNamesTheKeyAndBothShapes()
    {
        const string key = "base_model.model.blocks.1.query.lora_B.weight";
        EditTensors(t => t[key] = ([3, 8], new float[24]));
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal(key, error.Key);
        Assert.Contains("[3, 8]", error.Message);
        Assert.Contains("[6, 4]", error.Message);
    }

    [Fact]
    public void UnknownKeyIsNamed()
    {
        const string key = "base_model.model.blocks.0.router.lora_A.weight";
        EditTensors(t => t[key] = ([4, 6], new float[24]));
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal(key, error.Key);
        Assert.Contains("unknown key", error.Message);
    }

    [Fact]
    public void MissingKeyIsNamed()
    {
        const string key = "base_model.model.embed.lora_embedding_B";
        EditTensors(t => t.Remove(key));
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal(key, error.Key);
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public void DifferentAlphaNamesTheTargetAndBothValues()
    {
        EditConfig(json => json["alpha_pattern"] = new JsonObject { ["blocks.0.value"] = 16 });
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal("blocks.0.value", error.Key);
        Assert.Contains("16", error.Message);
        Assert.Contains("8", error.Message);
    }

    [Fact]
    public void DifferentRankNamesTheTarget()
    {
        EditConfig(json => json["r"] = 8);
        var error = LoadFails<AdapterFormatException>();
        Assert.Contains("rank 8", error.Message);
        Assert.Contains("rank 4", error.Message);
    }

    [Fact]
    public void DifferentRsLoraIsRefused()
    {
        EditConfig(json => json["use_rslora"] = true);
        var error = LoadFails<AdapterFormatException>();
        Assert.Contains("use_rslora", error.Message);
    }

    [Fact]
    public void PissaAdaptersDoNotLoadIntoKaimingModels()
    {
        EditConfig(json => json["init_lora_weights"] = "pissa_niter_4");
        var error = LoadFails<AdapterFormatException>();
        Assert.Contains("PiSSA", error.Message);
    }

    [Fact]
    public void UnknownModuleToSaveIsNamed()
    {
        EditConfig(json => json["modules_to_save"] = new JsonArray("score"));
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal("modules_to_save.score", error.Key);
    }

    [Fact]
    public void ModuleToSaveWithoutItsTensorsIsRefused()
    {
        EditConfig(json => json["modules_to_save"] = new JsonArray("classifier"));
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal("base_model.model.head.classifier.bias", error.Key);
    }

    [Fact]
    public void TensorsOfAModuleNotListedAreUnknown()
    {
        const string key = "base_model.model.head.classifier.bias";
        EditTensors(t => t[key] = ([3], [1, 2, 3]));
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal(key, error.Key);
    }

    [Fact]
    public void IntegerLoraTensorsAreRefused()
    {
        var file = SafetensorsTestFile.Read(TensorPath);
        var header = file.Header;
        header["base_model.model.head.conv.lora_B.weight"]!["dtype"] = "I32";
        var text = header.ToJsonString();
        while (text.Length % 8 != 0) text += " ";
        var headerBytes = System.Text.Encoding.UTF8.GetBytes(text);
        File.WriteAllBytes(TensorPath, [.. BitConverter.GetBytes((ulong)headerBytes.Length), .. headerBytes, .. file.Data]);
        var error = LoadFails<AdapterFormatException>();
        Assert.Equal("base_model.model.head.conv.lora_B.weight", error.Key);
        Assert.Contains("I32", error.Message);
    }
}
