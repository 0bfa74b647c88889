using static LoraSdk.Tests.Adapters.AdapterTestKit;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Adapters;

/// <summary>The files are checked byte-level with the test's own safetensors reader, and a PEFT-written fixture loads.</summary>
public class AdapterFileFormatTests
{
    // PEFT shapes for TinyNet at rank 4: Linear A (r × in) / B (out × r); Conv2d A (r, in, kh, kw) / B (out, r, 1, 1);
    // Embedding A (r × num_embeddings) / B (embedding_dim × r), without ".weight".
    private static readonly Dictionary<string, long[]> ExpectedShapes = new()
    {
        ["base_model.model.embed.lora_embedding_A"] = [4, 11],
        ["base_model.model.embed.lora_embedding_B"] = [6, 4],
        ["base_model.model.blocks.0.query.lora_A.weight"] = [4, 6],
        ["base_model.model.blocks.0.query.lora_B.weight"] = [6, 4],
        ["base_model.model.blocks.0.value.lora_A.weight"] = [4, 6],
        ["base_model.model.blocks.0.value.lora_B.weight"] = [6, 4],
        ["base_model.model.blocks.1.query.lora_A.weight"] = [4, 6],
        ["base_model.model.blocks.1.query.lora_B.weight"] = [6, 4],
        ["base_model.model.blocks.1.value.lora_A.weight"] = [4, 6],
        ["base_model.model.blocks.1.value.lora_B.weight"] = [6, 4],
        ["base_model.model.head.conv.lora_A.weight"] = [4, 6, 3, 1],
        ["base_model.model.head.conv.lora_B.weight"] = [4, 4, 1, 1],
    };

    [Fact]
    public void TensorFileHasPeftKeysDtypesShapesMetadataAndBackToBackData()
    {
        using var folder = NewFolder();
        var model = new TinyNet();
        RandomizeLora(model, seed: 31);
        model.SaveAdapter(folder.Path, new AdapterSaveOptions { Metadata = new Dictionary<string, string> { ["run"] = "unit-test" } });

        var file = SafetensorsTestFile.Read(folder.Combine(AdapterModelExtensions.WeightsFileName));
        Assert.Equal(0, file.HeaderLength % 8);
        var metadata = file.Header["__metadata__"]!.AsObject();
        Assert.Equal("pt", (string?)metadata["format"]);
        Assert.Equal("unit-test", (string?)metadata["run"]);

        var entries = file.Entries;
        Assert.Equal(ExpectedShapes.Keys.Order(), entries.Keys.Order());
        foreach (var (key, shape) in ExpectedShapes)
        {
            Assert.Equal("F32", entries[key].DType);
            Assert.Equal(shape, entries[key].Shape);
        }

        long offset = 0;
        foreach (var entry in entries.Values.OrderBy(e => e.Begin))
        {
            Assert.Equal(offset, entry.Begin);
            Assert.Equal(4 * entry.Shape.Aggregate(1L, (n, d) => n * d), entry.End - entry.Begin);
            offset = entry.End;
        }
        Assert.Equal(file.Data.LongLength, offset);

        foreach (var (name, parameter) in model.LoraParameters())
        {
            string key = "base_model.model." + name;
            Assert.Equal(parameter.contiguous().data<float>().ToArray(), file.Floats(key));
        }
    }

    [Fact]
    public void NonContiguousParametersAreWrittenInRowMajorOrder()
    {
        using var folder = NewFolder();
        var model = new TinyNet();
        RandomizeLora(model, seed: 32);
        var transposedSource = model.LoraParameters().First(p => p.Name == "blocks.0.query.lora_A.weight").Parameter;
        using (no_grad())
        {
            // Store A through a transposed view so its memory layout is not row-major any more.
            using var values = transposedSource.detach().clone();
            transposedSource.set_(values.t().contiguous().t());
        }
        Assert.False(transposedSource.is_contiguous());
        model.SaveAdapter(folder.Path);

        var file = SafetensorsTestFile.Read(folder.Combine(AdapterModelExtensions.WeightsFileName));
        Assert.Equal(transposedSource.contiguous().data<float>().ToArray(), file.Floats("base_model.model.blocks.0.query.lora_A.weight"));
    }

    [Fact]
    public void AFolderWrittenAsPythonPeftWritesItLoads()
    {
        using var folder = NewFolder();
        // adapter_config.json as PEFT's save_pretrained writes it (sorted keys, every LoraConfig field, nulls).
        File.WriteAllText(folder.Combine("adapter_config.json"), """
            {
              "alpha_pattern": {},
              "auto_mapping": null,
              "base_model_name_or_path": "tiny-net",
              "bias": "none",
              "eva_config": null,
              "exclude_modules": null,
              "fan_in_fan_out": false,
              "inference_mode": true,
              "init_lora_weights": true,
              "layer_replication": null,
              "layers_pattern": null,
              "layers_to_transform": null,
              "loftq_config": {},
              "lora_alpha": 8,
              "lora_bias": false,
              "lora_dropout": 0.05,
              "megatron_config": null,
              "megatron_core": "megatron.core",
              "modules_to_save": [
                "classifier"
              ],
              "peft_type": "LORA",
              "peft_version": "0.17.1",
              "r": 4,
              "rank_pattern": {},
              "revision": null,
              "target_modules": [
                "value",
                "conv",
                "query",
                "embed"
              ],
              "task_type": null,
              "trainable_token_indices": null,
              "use_dora": false,
              "use_qalora": false,
              "use_rslora": false
            }
            """);
        var tensors = ExpectedShapes
            .Append(new("base_model.model.head.classifier.weight", [3, 4]))
            .Append(new("base_model.model.head.classifier.bias", [3]))
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select((e, i) => (e.Key, Shape: e.Value, Values: Pattern(i, e.Value.Aggregate(1L, (n, d) => n * d))))
            .ToList();
        File.WriteAllBytes(folder.Combine("adapter_model.safetensors"), SafetensorsTestFile.WriteF32(tensors));

        var model = new TinyNet();
        model.LoadAdapter(folder.Path);

        var state = model.state_dict();
        var lora = model.LoraParameters().ToDictionary(p => "base_model.model." + p.Name, p => p.Parameter);
        foreach (var (key, shape, values) in tensors)
        {
            var actual = lora.TryGetValue(key, out var p) ? p : state[key["base_model.model.".Length..]];
            Assert.Equal(shape, actual.shape);
            Assert.Equal(values, actual.data<float>().ToArray());
        }
    }

    /// <summary>Distinct, exactly representable values per tensor.</summary>
    private static float[] Pattern(int tensorIndex, long count) =>
        Enumerable.Range(0, (int)count).Select(i => tensorIndex + i / 64f).ToArray();
}
