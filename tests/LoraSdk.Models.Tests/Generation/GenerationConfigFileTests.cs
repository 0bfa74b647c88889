namespace LoraSdk.Models.Tests.Generation;

public sealed class GenerationConfigFileTests
{
    [Fact]
    public void Reads_the_keys_transformers_generate_starts_from()
    {
        using var dir = new TempDirectory();
        string path = dir.File("generation_config.json");
        File.WriteAllText(path, """
            { "bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008, 128009],
              "temperature": 0.6, "top_p": 0.9, "max_length": 4096, "transformers_version": "4.45.0",
              "repetition_penalty": 1.1, "max_new_tokens": 200, "top_k": null }
            """);
        var o = GenerationOptions.FromGenerationConfig(path);
        Assert.Equal(new GenerationOptions
        {
            DoSample = true, Temperature = 0.6, TopP = 0.9, RepetitionPenalty = 1.1, MaxNewTokens = 200,
            EosTokenIds = o.EosTokenIds, StopStrings = o.StopStrings,
        }, o);
        Assert.Equal([128001, 128008, 128009], o.EosTokenIds!);
        Assert.Equal(50, o.TopK); // null keeps the default
        File.WriteAllText(path, """{ "eos_token_id": 2, "stop_strings": "###" }""");
        var single = GenerationOptions.FromGenerationConfig(path);
        Assert.Equal([2], single.EosTokenIds!);
        Assert.Equal(["###"], single.StopStrings);
    }

    [Theory]
    [InlineData("""{ "temperature": "hot" }""", "\"temperature\" must be a number")]
    [InlineData("""{ "eos_token_id": [1, "x"] }""", "\"eos_token_id\" must be integers")]
    [InlineData("""{ "do_sample": true, "temperature": 0 }""", "GenerationOptions.Temperature")]
    [InlineData("""{ "top_p": 1.5 }""", "GenerationOptions.TopP")]
    [InlineData("""[1]""", "expected a JSON object")]
    [InlineData("""{ "top_k": """, "not valid JSON")]
    public void Bad_files_name_the_file_and_the_key(string json, string expected)
    {
        using var dir = new TempDirectory();
        string path = dir.File("generation_config.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<InvalidDataException>(() => GenerationOptions.FromGenerationConfig(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
        Assert.Throws<FileNotFoundException>(() => GenerationOptions.FromGenerationConfig(dir.File("missing.json")));
    }
}
