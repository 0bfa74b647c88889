using LoraSdk.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

public sealed class CheckpointImporterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Safetensors_with_huggingface_names_round_trip()
    {
        using var source = TinyBert.Create(seed: 1);
        using var target = TinyBert.Create(seed: 2);
        var path = WriteSafetensors(TinyBert.HuggingFaceStateDict(source));

        var report = CheckpointImporter.Import(target, path);

        TinyBert.AssertSameWeights(source, target);
        Assert.Empty(report.IgnoredEntries);
    }

    [Fact]
    public void Task_model_prefixes_are_stripped_and_heads_ignored()
    {
        using var source = TinyBert.Create(seed: 1);
        using var target = TinyBert.Create(seed: 2);
        var state = TinyBert.HuggingFaceStateDict(source).ToDictionary(kv => "bert." + kv.Key, kv => kv.Value);
        state["bert.pooler.dense.weight"] = zeros(8, 8);
        state["classifier.weight"] = zeros(3, 8);
        state["bert.embeddings.position_ids"] = arange(16L).unsqueeze(0);

        var report = CheckpointImporter.ImportSafetensors(target, WriteSafetensors(state));

        TinyBert.AssertSameWeights(source, target);
        Assert.Equal(["bert.embeddings.position_ids", "bert.pooler.dense.weight", "classifier.weight"], report.IgnoredEntries.Order());
    }

    [Fact]
    public void Truncated_safetensors_name_the_tensor_past_the_end()
    {
        using var source = TinyBert.Create(seed: 1);
        var path = WriteSafetensors(TinyBert.HuggingFaceStateDict(source));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^16]);

        using var target = TinyBert.Create(seed: 2);
        var error = Assert.Throws<WeightImportException>(() => CheckpointImporter.Import(target, path));

        Assert.Contains(path, error.Message);
        Assert.Matches("truncated: tensor '[^']+' ends at data byte \\d+, but the file holds only \\d+ data bytes", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_safetensors_fails_clearly()
    {
        var path = _dir.File("model.safetensors");
        File.WriteAllText(path, "this is a text file, not a safetensors checkpoint");

        using var target = TinyBert.Create(seed: 2);
        var error = Assert.Throws<WeightImportException>(() => CheckpointImporter.Import(target, path));

        Assert.Contains("not a safetensors file", error.Message);
    }

    [Fact]
    public void Missing_and_misshaped_weights_are_named()
    {
        using var source = TinyBert.Create(seed: 1);
        using var target = TinyBert.Create(seed: 2);
        var missing = TinyBert.HuggingFaceStateDict(source);
        missing.Remove("encoder.layer.0.attention.self.value.weight");
        var misshaped = TinyBert.HuggingFaceStateDict(source);
        misshaped["encoder.layer.1.intermediate.dense.weight"] = zeros(8, 16);

        var missingError = Assert.Throws<WeightImportException>(() => CheckpointImporter.Import(target, WriteSafetensors(missing)));
        var shapeError = Assert.Throws<WeightImportException>(() => CheckpointImporter.Import(target, WriteSafetensors(misshaped)));

        Assert.Contains("'encoder.layer.0.attention.self.value.weight'", missingError.Message);
        Assert.Contains("(in the file: 'encoder.layer.1.intermediate.dense.weight') has shape [8, 16], but the model expects [16, 8]", shapeError.Message);
    }

    [Fact]
    public void PyTorch_state_dicts_round_trip()
    {
        using var source = TinyBert.Create(seed: 1);
        using var target = TinyBert.Create(seed: 2);
        var path = _dir.File("pytorch_model.bin");
        using (var stream = File.Create(path)) PyTorchPickler.PickleStateDict(stream, TinyBert.HuggingFaceStateDict(source));

        CheckpointImporter.Import(target, path);

        TinyBert.AssertSameWeights(source, target);
    }

    [Fact]
    public void A_truncated_pytorch_file_fails_clearly()
    {
        using var source = TinyBert.Create(seed: 1);
        var path = _dir.File("pytorch_model.bin");
        using (var stream = File.Create(path)) PyTorchPickler.PickleStateDict(stream, TinyBert.HuggingFaceStateDict(source));
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..200]);

        using var target = TinyBert.Create(seed: 2);
        var error = Assert.Throws<WeightImportException>(() => CheckpointImporter.Import(target, path));

        Assert.StartsWith(path + ": not a readable PyTorch state dict", error.Message);
    }

    private string WriteSafetensors(Dictionary<string, Tensor> state)
    {
        var path = _dir.File($"{Guid.NewGuid():N}.safetensors");
        using var stream = File.Create(path);
        Safetensors.SaveStateDict(stream, state);
        return path;
    }
}
