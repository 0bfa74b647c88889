using System.Text;
using System.Text.Json.Nodes;

namespace LoraSdk.Tests.Adapters;

public class AdapterConfigTests
{
    private static AdapterConfig Parse(string json) => AdapterConfig.Parse(Encoding.UTF8.GetBytes(json), "test.json");

    [Fact]
    public void MissingOptionalKeysTakePeftDefaults()
    {
        var config = Parse("""{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q"]}""");
        Assert.Equal("none", config.Bias);
        Assert.Empty(config.RankPattern);
        Assert.Empty(config.AlphaPattern);
        Assert.Null(config.ModulesToSave);
        Assert.Equal("true", config.InitLoraWeights);
        Assert.Equal(LoraInit.Kaiming, config.Init);
        Assert.False(config.UseRsLora);
        config.Validate("test.json");
    }

    [Fact]
    public void UnknownKeysAndNullsAreToleratedAndKeptOnWrite()
    {
        var config = Parse("""
            {"peft_type":"LORA","r":4,"lora_alpha":8,"megatron_core":"megatron.core","peft_version":"0.17.1",
             "rank_pattern":null,"alpha_pattern":null,"target_modules":null,"modules_to_save":null,"loftq_config":{}}
            """);
        Assert.Empty(config.RankPattern);
        Assert.Empty(config.TargetModules);
        var written = JsonNode.Parse(config.ToJson())!;
        Assert.Equal("megatron.core", (string?)written["megatron_core"]);
        Assert.Equal("0.17.1", (string?)written["peft_version"]);
        Assert.NotNull(written["loftq_config"]);
    }

    [Fact]
    public void TargetModulesMayBeARegexString()
    {
        var config = Parse("""{"peft_type":"LORA","target_modules":".*\\.(q|v)$"}""");
        Assert.Equal([@".*\.(q|v)$"], config.TargetModules);
    }

    [Theory]
    [InlineData("true", "true", LoraInit.Kaiming)]
    [InlineData("\"gaussian\"", "gaussian", LoraInit.Gaussian)]
    [InlineData("\"pissa_niter_16\"", "pissa_niter_16", LoraInit.PiSSA)]
    [InlineData("false", "false", null)]
    [InlineData("\"olora\"", "olora", null)]
    public void InitLoraWeightsIsABoolOrAName(string json, string expected, LoraInit? init)
    {
        var config = Parse($$"""{"peft_type":"LORA","init_lora_weights":{{json}}}""");
        Assert.Equal(expected, config.InitLoraWeights);
        Assert.Equal(init, config.Init);
        Assert.Equal(json, JsonNode.Parse(config.ToJson())!["init_lora_weights"]!.ToJsonString());
    }

    [Fact]
    public void PatternsResolveAsPeftDoes()
    {
        var config = new AdapterConfig
        {
            R = 8,
            LoraAlpha = 16,
            RankPattern = new Dictionary<string, int> { ["query"] = 2, ["^blocks.1.value"] = 3, ["blocks.0.query"] = 5 },
            AlphaPattern = new Dictionary<string, double> { [@"blocks\.\d\.value"] = 4 },
        };
        Assert.Equal(5, config.RankFor("blocks.0.query"));        // an exact key wins over an earlier suffix match
        Assert.Equal(2, config.RankFor("blocks.1.query"));        // dotted suffix
        Assert.Equal(2, config.RankFor("query"));
        Assert.Equal(8, config.RankFor("subquery"));              // a suffix must start at a dot
        Assert.Equal(3, config.RankFor("blocks.1.value"));
        Assert.Equal(8, config.RankFor("outer.blocks.1.value"));  // '^' anchors at the start of the path
        Assert.Equal(4, config.AlphaFor("blocks.0.value"));
        Assert.Equal(16, config.AlphaFor("blocks.0.query"));
    }

    [Fact]
    public void WrittenPatternKeysAreAnchoredOnlyWhenAmbiguous()
    {
        string[] targets = ["query", "blocks.0.query", "blocks.0.value"];
        Assert.Equal("^query", PeftPattern.KeyFor("query", targets));
        Assert.Equal("blocks.0.query", PeftPattern.KeyFor("blocks.0.query", targets));
        Assert.Equal("blocks.0.value", PeftPattern.KeyFor("blocks.0.value", targets));
    }

    [Theory]
    [InlineData("bias", "\"all\"")]
    [InlineData("lora_bias", "true")]
    [InlineData("fan_in_fan_out", "true")]
    [InlineData("r", "0")]
    [InlineData("lora_alpha", "-1")]
    public void UnsupportedSettingsAreNamed(string key, string value)
    {
        var config = Parse($$"""{"peft_type":"LORA","{{key}}":{{value}}}""");
        var error = Assert.Throws<AdapterFormatException>(() => config.Validate("test.json"));
        Assert.Equal(key, error.Key);
        Assert.Equal("test.json", error.FilePath);
    }

    [Fact]
    public void InvalidPatternRegexIsNamed()
    {
        var config = Parse("""{"peft_type":"LORA","rank_pattern":{"blocks.(0":4}}""");
        var error = Assert.Throws<AdapterFormatException>(() => config.Validate("test.json"));
        Assert.Equal("rank_pattern.blocks.(0", error.Key);
    }
}
