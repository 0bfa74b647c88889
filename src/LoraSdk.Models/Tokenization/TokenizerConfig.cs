namespace LoraSdk.Models;

/// <summary>
/// What transformers reads beside tokenizer.json: tokenizer_config.json (special tokens, add_bos_token /
/// add_eos_token, tokenizer_class, chat_template, clean_up_tokenization_spaces), special_tokens_map.json (special
/// tokens the config leaves out) and generation_config.json (more end-of-sequence ids).
/// </summary>
internal sealed class TokenizerConfig
{
    public const string ConfigFile = "tokenizer_config.json";
    public const string SpecialTokensFile = "special_tokens_map.json";
    public const string GenerationFile = "generation_config.json";

    private readonly TokenizerJson? _config;
    private readonly TokenizerJson? _specialTokens;
    private readonly TokenizerJson? _generation;

    private TokenizerConfig(TokenizerJson? config, TokenizerJson? specialTokens, TokenizerJson? generation) =>
        (_config, _specialTokens, _generation) = (config, specialTokens, generation);

    public static TokenizerConfig Read(string folder)
    {
        TokenizerJson? Optional(string name)
        {
            var path = Path.Combine(folder, name);
            return File.Exists(path) ? TokenizerJson.Parse(path) : null;
        }
        return new TokenizerConfig(Optional(ConfigFile), Optional(SpecialTokensFile), Optional(GenerationFile));
    }

    /// <summary>
    /// A special token's text (<c>bos_token</c>, ...): a string or an AddedToken object with <c>content</c>. The config's
    /// value wins, even an explicit null (Qwen2's <c>"bos_token": null</c>); special_tokens_map.json fills in otherwise.
    /// </summary>
    public (string? Token, TokenizerJson? Where) SpecialToken(string key)
    {
        foreach (var source in new[] { _config, _specialTokens })
        {
            if (source?.Member(key) is not { } value) continue;
            if (value.IsNull) return (null, value);
            return (value.Element.ValueKind == System.Text.Json.JsonValueKind.Object ? value.Required("content").String() : value.String(), value);
        }
        return (null, null);
    }

    public bool? Flag(string key) => _config?.Optional(key)?.Bool();

    /// <summary>tokenizer_config.json's member <paramref name="key"/> (null when absent or there is no config).</summary>
    public TokenizerJson? Member(string key) => _config?.Member(key);

    public string? TokenizerClass => _config?.OptionalString("tokenizer_class");

    /// <summary>The Jinja chat template: a string, or a list of named templates of which "default" is the one transformers uses.</summary>
    public string? ChatTemplate
    {
        get
        {
            if (_config?.Optional("chat_template") is not { } template) return null;
            if (template.Element.ValueKind == System.Text.Json.JsonValueKind.String) return template.String();
            foreach (var named in template.Items())
            {
                if (named.Required("name").String() == "default") return named.Required("template").String();
            }
            throw template.Error("lists named templates but none named \"default\"");
        }
    }

    /// <summary>Tokens tokenizer_config.json's <c>added_tokens_decoder</c> names (transformers adds any tokenizer.json lacks).</summary>
    public IEnumerable<(int Id, string Content, TokenizerJson Where)> AddedTokensDecoder()
    {
        if (_config?.Optional("added_tokens_decoder") is not { } decoder) yield break;
        foreach (var (id, token) in decoder.Properties())
        {
            if (!int.TryParse(id, out var value)) throw token.Error("key must be a token id");
            yield return (value, token.Required("content").String(), token);
        }
    }

    /// <summary>generation_config.json's id(s) under <paramref name="key"/> (an integer or a list).</summary>
    public IReadOnlyList<int> GenerationIds(string key)
    {
        if (_generation?.Optional(key) is not { } value) return [];
        return value.Element.ValueKind == System.Text.Json.JsonValueKind.Array ? value.Items().Select(i => i.Int()).ToList() : [value.Int()];
    }
}
