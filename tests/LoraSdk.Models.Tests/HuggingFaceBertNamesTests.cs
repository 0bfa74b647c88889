using LoraSdk.Models;

namespace LoraSdk.Models.Tests;

public sealed class HuggingFaceBertNamesTests
{
    [Theory]
    [InlineData("encoder.layer.3.attention.self.query.weight", "encoder.layer.3.attention.query.weight")]
    [InlineData("bert.encoder.layer.0.attention.output.dense.bias", "encoder.layer.0.attention.output.bias")]
    [InlineData("encoder.layer.0.attention.output.LayerNorm.weight", "encoder.layer.0.attention.LayerNorm.weight")]
    [InlineData("encoder.layer.5.intermediate.dense.weight", "encoder.layer.5.intermediate.weight")]
    [InlineData("encoder.layer.5.output.dense.weight", "encoder.layer.5.output.weight")]
    [InlineData("encoder.layer.5.output.LayerNorm.gamma", "encoder.layer.5.LayerNorm.weight")]
    [InlineData("embeddings.LayerNorm.beta", "embeddings.LayerNorm.bias")]
    [InlineData("pooler.dense.weight", null)]
    [InlineData("embeddings.position_ids", null)]
    [InlineData("classifier.bias", null)]
    public void HuggingFace_keys_map_to_encoder_paths(string key, string? path)
    {
        Assert.Equal(path, HuggingFaceBertNames.ToModulePath(key));
    }

    [Fact]
    public void Every_encoder_parameter_maps_back_to_itself()
    {
        using var model = new BertModel(TinyBert.Config);
        foreach (var path in model.BaseParameters().Keys)
            Assert.Equal(path, HuggingFaceBertNames.ToModulePath(HuggingFaceBertNames.ToHuggingFaceKey(path)));
    }
}
