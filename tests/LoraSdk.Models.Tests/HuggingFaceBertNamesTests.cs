using LoraSdk.Models;

namespace LoraSdk.Models.Tests;

public sealed class HuggingFaceBertNamesTests
{
    [Theory]
    [InlineData("encoder.layer.3.attention.self.query.weight", "encoder.layer.3.attention.self.query.weight")]
    [InlineData("bert.encoder.layer.0.attention.output.dense.bias", "encoder.layer.0.attention.output.dense.bias")]
    [InlineData("0.auto_model.encoder.layer.5.intermediate.dense.weight", "encoder.layer.5.intermediate.dense.weight")]
    [InlineData("encoder.layer.5.output.LayerNorm.gamma", "encoder.layer.5.output.LayerNorm.weight")]
    [InlineData("embeddings.LayerNorm.beta", "embeddings.LayerNorm.bias")]
    [InlineData("pooler.dense.weight", null)]
    [InlineData("embeddings.position_ids", null)]
    [InlineData("classifier.bias", null)]
    public void HuggingFace_keys_map_to_encoder_paths(string key, string? path)
    {
        Assert.Equal(path, HuggingFaceBertNames.ToModulePath(key));
    }

    /// <summary>
    /// HuggingFace <c>BertModel</c>'s parameter names for all-MiniLM-L6-v2 (6 layers, no pooler), written out
    /// from transformers' module tree (modeling_bert.py: BertEmbeddings, BertSelfAttention, BertSelfOutput,
    /// BertIntermediate, BertOutput), not read from this repository's classes.
    /// </summary>
    private static readonly string[] HuggingFaceEmbeddingNames =
    [
        "embeddings.word_embeddings.weight",
        "embeddings.position_embeddings.weight",
        "embeddings.token_type_embeddings.weight",
        "embeddings.LayerNorm.weight",
        "embeddings.LayerNorm.bias",
    ];

    private static readonly string[] HuggingFaceLayerNames =
    [
        "attention.self.query.weight", "attention.self.query.bias",
        "attention.self.key.weight", "attention.self.key.bias",
        "attention.self.value.weight", "attention.self.value.bias",
        "attention.output.dense.weight", "attention.output.dense.bias",
        "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
        "intermediate.dense.weight", "intermediate.dense.bias",
        "output.dense.weight", "output.dense.bias",
        "output.LayerNorm.weight", "output.LayerNorm.bias",
    ];

    private static IEnumerable<string> HuggingFaceMiniLmNames() =>
        HuggingFaceEmbeddingNames.Concat(
            from layer in Enumerable.Range(0, 6) from name in HuggingFaceLayerNames select $"encoder.layer.{layer}.{name}");

    [Fact]
    public void MiniLm_base_parameters_are_named_as_HuggingFace_BertModel()
    {
        using var model = new BertModel(BertConfig.MiniLmL6);
        Assert.Equal(HuggingFaceMiniLmNames().Order(StringComparer.Ordinal), model.BaseParameters().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void MiniLm_LoRA_parameters_are_named_as_PEFT_names_them_on_HuggingFace_BertModel()
    {
        // PEFT LoraConfig(target_modules=["query", "value"]) on AutoModel("all-MiniLM-L6-v2"): get_peft_model_state_dict keys.
        var peft = from layer in Enumerable.Range(0, 6)
                   from target in new[] { "query", "value" }
                   from factor in new[] { "lora_A", "lora_B" }
                   select $"base_model.model.encoder.layer.{layer}.attention.self.{target}.{factor}.weight";
        using var model = new BertModel(BertConfig.MiniLmL6);
        Assert.Equal(peft.Order(StringComparer.Ordinal),
            model.LoraParameters().Select(p => "base_model.model." + p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Classifier_adapter_keys_put_the_encoder_under_bert_and_the_head_under_classifier()
    {
        using var classifier = new SequenceClassifier(TinyBert.Config, labelCount: 3);
        var names = classifier.LoraParameters().Select(p => p.Name).ToList();
        Assert.Contains("bert.encoder.layer.1.attention.self.value.lora_B.weight", names);
        Assert.Equal(["classifier.bias", "classifier.weight"],
            classifier.named_parameters().Select(p => p.name).Where(n => n.StartsWith("classifier.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }
}
