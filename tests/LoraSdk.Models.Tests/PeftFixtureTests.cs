using LoraSdk;
using LoraSdk.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>A PEFT-written adapter for all-MiniLM-L6-v2 (HF key names, float16, rank/alpha patterns) loads into LoraSdk's MiniLM.</summary>
public sealed class PeftFixtureTests
{
    [Fact]
    public void Committed_fixture_is_what_the_generator_writes()
    {
        // Regenerate: LORASDK_WRITE_FIXTURES=tests/LoraSdk.Models.Tests/Fixtures dotnet test … --filter Committed_fixture
        if (Environment.GetEnvironmentVariable("LORASDK_WRITE_FIXTURES") is { Length: > 0 } fixtures)
            PeftMiniLmFixture.Write(Path.Combine(Path.GetFullPath(fixtures), PeftMiniLmFixture.FolderName));
        using var folder = new TempDirectory();
        PeftMiniLmFixture.Write(folder.Path);
        foreach (var file in new[] { AdapterConfig.FileName, AdapterModelExtensions.WeightsFileName })
            Assert.True(File.ReadAllBytes(folder.File(file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(PeftMiniLmFixture.CommittedFolder, file))),
                $"{file} differs from tests/LoraSdk.Models.Tests/Fixtures/{PeftMiniLmFixture.FolderName}: regenerate it with PeftMiniLmFixture.Write");
    }

    [Fact]
    public void The_PEFT_adapter_loads_as_a_named_adapter_with_its_ranks_and_alphas_and_computes_W_plus_sBA()
    {
        using var model = RandomMiniLm(seed: 21);
        model.LoadAdapter(PeftMiniLmFixture.CommittedFolder, "peft");

        Assert.Equal(["default", "peft"], model.AdapterNames());
        Assert.Equal("default", model.ActiveAdapter());
        var file = SafetensorsFile.Read(Path.Combine(PeftMiniLmFixture.CommittedFolder, AdapterModelExtensions.WeightsFileName));
        Assert.All(file.Values, t => Assert.Equal("F16", t.DType));
        using (model.UseAdapter("peft"))
        {
            var adapters = model.ActiveLoraAdapters().ToDictionary(a => a.Path, a => a.Adapter);
            Assert.Equal(PeftMiniLmFixture.Targets().Select(t => t.Module).Order(), adapters.Keys.Order());
            foreach (var (layer, target, module) in PeftMiniLmFixture.Targets())
            {
                var (rank, alpha) = PeftMiniLmFixture.Expected(layer, target);
                Assert.Equal(rank, adapters[module].Rank);
                Assert.Equal(alpha / rank, adapters[module].Scaling);
            }
        }

        // Reference: the same base (copied: other tests draw from the global generator in parallel) with
        // W += (alpha/r)·B·A computed in float64 from the file's own bytes.
        using var reference = RandomMiniLm(seed: 22);
        var weights = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
        {
            foreach (var (name, parameter) in model.BaseParameters()) weights[name].copy_(parameter);
            foreach (var (layer, target, module) in PeftMiniLmFixture.Targets())
            {
                var (rank, alpha) = PeftMiniLmFixture.Expected(layer, target);
                using var a = Float64(file[$"base_model.model.{module}.lora_A.weight"]);
                using var b = Float64(file[$"base_model.model.{module}.lora_B.weight"]);
                using var delta = b.matmul(a).mul(alpha / rank);
                var w = weights[module + ".weight"];
                using var updated = w.to(ScalarType.Float64) + delta;
                w.copy_(updated);
            }
        }

        var (ids, mask) = Batch();
        using var _ = no_grad();
        using var expected = reference.call(ids, mask);
        using var baseline = model.call(ids, mask);
        using (model.UseAdapter("peft"))
        {
            using var adapted = model.call(ids, mask);
            double error = (adapted - expected).abs().max().item<float>();
            Assert.True(error < 1e-4, $"max |LoraSdk − reference| = {error:E2}");
        }
        Assert.True((baseline - expected).abs().max().item<float>() > 1e-2, "the adapter should change the output");
    }

    [Fact]
    public void Loading_the_PEFT_rank_4_adapter_as_the_rank_8_default_is_refused_with_a_pointer_to_the_named_load()
    {
        using var model = new BertModel(BertConfig.MiniLmL6);
        var error = Assert.Throws<AdapterFormatException>(() => model.LoadAdapter(PeftMiniLmFixture.CommittedFolder));
        Assert.Contains("rank 4, the model's adapter has rank 8", error.Message);
        Assert.Contains("LoadAdapter(dir, name)", error.Message);
    }

    [Fact]
    public void A_bfloat16_copy_loads_with_the_values_rounded_to_bfloat16()
    {
        using var folder = new TempDirectory();
        File.Copy(Path.Combine(PeftMiniLmFixture.CommittedFolder, AdapterConfig.FileName), folder.File(AdapterConfig.FileName));
        var source = SafetensorsFile.Read(Path.Combine(PeftMiniLmFixture.CommittedFolder, AdapterModelExtensions.WeightsFileName));
        var bf16 = source.Select(e => (e.Key, Float64(e.Value).to(ScalarType.BFloat16))).ToList();
        SafetensorsFile.Write(folder.File(AdapterModelExtensions.WeightsFileName), bf16);

        using var model = new BertModel(BertConfig.MiniLmL6);
        model.LoadAdapter(folder.Path, "bf16");
        using var scope = model.UseAdapter("bf16");
        var loaded = model.LoraParameters().ToDictionary(p => "base_model.model." + p.Name, p => p.Parameter);
        foreach (var (key, tensor) in bf16)
        {
            Assert.Equal(ScalarType.Float32, loaded[key].dtype);
            Assert.True(loaded[key].eq(tensor.to(ScalarType.Float32)).all().item<bool>(), $"{key} differs");
        }
    }

    private static BertModel RandomMiniLm(int seed)
    {
        manual_seed(seed);
        var model = new BertModel(BertConfig.MiniLmL6 with { HiddenDropout = 0, AttentionDropout = 0 });
        model.eval();
        return model;
    }

    private static (Tensor Ids, Tensor Mask) Batch()
    {
        manual_seed(5);
        var ids = randint(1, 30000, [2, 9], dtype: ScalarType.Int64);
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 }, [2, 9]);
        return (ids, mask);
    }

    private static Tensor Float64((string DType, long[] Shape, double[] Values) entry) =>
        tensor(entry.Values, entry.Shape, dtype: ScalarType.Float64);
}
