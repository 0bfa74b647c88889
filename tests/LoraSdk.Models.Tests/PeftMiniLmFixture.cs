using System.Text;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>
/// Writes <c>Fixtures/peft-minilm-qv</c>: an adapter folder for sentence-transformers/all-MiniLM-L6-v2 as Python
/// PEFT's <c>save_pretrained</c> writes it for <c>LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"],
/// rank_pattern=…, alpha_pattern=…)</c> on <c>AutoModel</c> in float16. Keys come from HuggingFace's BERT names
/// (written out here, not read from LoraSdk's module tree); values follow a formula so the file is reproducible.
/// bench/peft-fixtures/make_minilm_peft_fixture.py writes the same kind of folder with real PEFT.
/// </summary>
internal static class PeftMiniLmFixture
{
    public const string FolderName = "peft-minilm-qv";
    public const int Layers = 6, Hidden = 384;

    public static string CommittedFolder => Path.Combine(AppContext.BaseDirectory, "Fixtures", FolderName);

    // PEFT matches each pattern key as the regex (.*\.)?(key)$ against the module name.
    public const string RankPatternKey = @"layer\.[45]\.attention\.self\.value";
    public const string AlphaPatternKey = "encoder.layer.0.attention.self.query";

    /// <summary>The rank and alpha PEFT gives the target at <paramref name="layer"/> / <paramref name="target"/>.</summary>
    public static (int Rank, double Alpha) Expected(int layer, string target) =>
        (target == "value" && layer >= 4 ? 2 : 4, target == "query" && layer == 0 ? 16 : 8);

    /// <summary>The HuggingFace module names PEFT adapts for target_modules ["query", "value"] on BertModel.</summary>
    public static IEnumerable<(int Layer, string Target, string Module)> Targets() =>
        from layer in Enumerable.Range(0, Layers)
        from target in new[] { "query", "value" }
        select (layer, target, $"encoder.layer.{layer}.attention.self.{target}");

    public static void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), ConfigJson, new UTF8Encoding(false));
        var tensors = new List<(string, Tensor)>();
        int seed = 0;
        foreach (var (layer, target, module) in Targets())
        {
            int rank = Expected(layer, target).Rank;
            tensors.Add(($"base_model.model.{module}.lora_A.weight", Pattern(rank, Hidden, ++seed)));
            tensors.Add(($"base_model.model.{module}.lora_B.weight", Pattern(Hidden, rank, ++seed)));
        }
        SafetensorsFile.Write(Path.Combine(folder, "adapter_model.safetensors"), tensors);
        foreach (var (_, tensor) in tensors) tensor.Dispose();
    }

    /// <summary>0.05·sin(1.3·i + 0.7·j + seed) in float16: small, varied and identical on every machine.</summary>
    private static Tensor Pattern(int rows, int columns, int seed)
    {
        var values = new float[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                values[i * columns + j] = (float)(0.05 * Math.Sin(1.3 * i + 0.7 * j + seed));
        using var single = tensor(values, [rows, columns]);
        return single.to(ScalarType.Float16);
    }

    // As PEFT's LoraConfig.save_pretrained writes it: json.dumps(indent=2, sort_keys=True).
    private static readonly string ConfigJson = $$"""
        {
          "alpha_pattern": {
            "{{AlphaPatternKey}}": 16
          },
          "auto_mapping": null,
          "base_model_name_or_path": "sentence-transformers/all-MiniLM-L6-v2",
          "bias": "none",
          "fan_in_fan_out": false,
          "inference_mode": true,
          "init_lora_weights": true,
          "layer_replication": null,
          "layers_pattern": null,
          "layers_to_transform": null,
          "loftq_config": {},
          "lora_alpha": 8,
          "lora_dropout": 0.1,
          "megatron_config": null,
          "megatron_core": "megatron.core",
          "modules_to_save": null,
          "peft_type": "LORA",
          "r": 4,
          "rank_pattern": {
            "{{RankPatternKey.Replace(@"\", @"\\", StringComparison.Ordinal)}}": 2
          },
          "revision": null,
          "target_modules": [
            "value",
            "query"
          ],
          "task_type": null,
          "use_dora": false,
          "use_rslora": false
        }
        """;
}
