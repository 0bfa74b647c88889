using System.Text;

namespace LoraSdk.Models;

/// <summary>
/// A HuggingFace fast tokenizer read from a model folder's <c>tokenizer.json</c> (with <c>tokenizer_config.json</c>,
/// <c>special_tokens_map.json</c> and <c>generation_config.json</c> where present), giving the same ids as
/// HF <c>tokenizers</c> / transformers for the byte-level BPE of Llama 3, Qwen2 and SmolLM and the SentencePiece-style
/// BPE (byte fallback, ▁ for spaces) of Llama 2 and Mistral. A component it cannot run exactly (a Unigram or WordPiece
/// model, an unknown normalizer, pre-tokenizer, decoder or post-processor) is refused at <see cref="Load"/> with the
/// file and JSON path, never tokenized differently.
/// </summary>
public sealed class HuggingFaceTokenizer : IGenerationTokenizer
{
    private const string TokenizerFile = "tokenizer.json";

    // transformers' LlamaTokenizerFast rebuilds the post-processor from add_bos_token (default true) and
    // add_eos_token (default false) whatever tokenizer.json holds; other classes keep tokenizer.json's.
    private static readonly HashSet<string> LlamaClasses = ["LlamaTokenizer", "LlamaTokenizerFast", "CodeLlamaTokenizer", "CodeLlamaTokenizerFast"];

    private readonly BpeModel _model;
    private readonly ITextNormalizer? _normalizer;
    private readonly IPreTokenizer? _preTokenizer;
    private readonly ITokenDecoder? _decoder;
    private readonly PostProcessor _postProcessor;
    private readonly AddedVocabulary _added;
    private readonly Dictionary<string, int> _addedIds;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly bool _cleanUpSpaces;
    private readonly string _folder;

    private HuggingFaceTokenizer(string folder, BpeModel model, ITextNormalizer? normalizer, IPreTokenizer? preTokenizer,
        ITokenDecoder? decoder, PostProcessor postProcessor, List<AddedToken> added, bool cleanUpSpaces)
    {
        _folder = folder;
        _model = model;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _decoder = decoder;
        _postProcessor = postProcessor;
        _added = new AddedVocabulary(added, normalizer);
        _addedIds = added.GroupBy(t => t.Content).ToDictionary(g => g.Key, g => g.Last().Id, StringComparer.Ordinal);
        _addedById = added.GroupBy(t => t.Id).ToDictionary(g => g.Key, g => g.Last());
        _cleanUpSpaces = cleanUpSpaces;
        VocabularySize = model.TokensById.Keys.Union(_addedById.Keys).Count();
        SpecialTokens = added.Where(t => t.Special).Select(t => t.Content).Distinct().ToList();
    }

    /// <summary>
    /// Reads the tokenizer in <paramref name="folder"/>. Throws <see cref="FileNotFoundException"/> without
    /// tokenizer.json and <see cref="InvalidDataException"/> (naming the file and JSON path) for anything it would not
    /// tokenize exactly as HF does.
    /// </summary>
    public static HuggingFaceTokenizer Load(string folder)
    {
        var path = Path.Combine(folder, TokenizerFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{folder}: no {TokenizerFile} (only HuggingFace fast tokenizers are read; a folder with just tokenizer.model needs converting with transformers first)", path);
        var json = TokenizerJson.Parse(path);
        var config = TokenizerConfig.Read(folder);

        var model = BpeModel.Read(json.Required("model"));
        var normalizer = Normalizers.Read(json.Optional("normalizer"));
        var preTokenizer = PreTokenizers.Read(json.Optional("pre_tokenizer"));
        var decoder = TokenDecoders.Read(json.Optional("decoder"));
        if (json.Optional("truncation") is { } truncation) throw truncation.Error("is set: truncation inside the tokenizer is not supported");
        if (json.Optional("padding") is { } padding) throw padding.Error("is set: padding inside the tokenizer is not supported");
        var added = AddedVocabulary.Read(json.Optional("added_tokens"), model);
        MergeConfigAddedTokens(config, added, model);

        var tokenizer = new HuggingFaceTokenizer(folder, model, normalizer, preTokenizer, decoder,
            PostProcessor.Read(json.Optional("post_processor")), added, config.Flag("clean_up_tokenization_spaces") ?? false);
        tokenizer.ReadSpecialTokens(config);
        tokenizer.ChatTemplateSource = config.ChatTemplate;
        return tokenizer;
    }

    // transformers adds (or updates the flags of) the tokens tokenizer_config.json's added_tokens_decoder names; the
    // id HF then gives must be the one the config states.
    private static void MergeConfigAddedTokens(TokenizerConfig config, List<AddedToken> added, BpeModel model)
    {
        foreach (var (id, content, where) in config.AddedTokensDecoder())
        {
            var given = AddedVocabulary.Add(added, AddedVocabulary.ReadToken(where, content), model);
            if (given is { } actual && actual != id)
                throw where.Error($"gives \"{content}\" id {id}, but with tokenizer.json's vocabulary and added_tokens it gets id {actual}");
        }
    }

    private void ReadSpecialTokens(TokenizerConfig config)
    {
        int? Resolve(string key, out string? text)
        {
            var (token, where) = config.SpecialToken(key);
            text = token;
            if (token is null) return null;
            return TokenToId(token) ?? throw where!.Value.Error($"\"{token}\" is neither in tokenizer.json's vocab nor its added_tokens");
        }

        BosTokenId = Resolve("bos_token", out var bos);
        BosToken = bos;
        var eosId = Resolve("eos_token", out var eos);
        EosToken = eos;
        PadTokenId = Resolve("pad_token", out var pad) ?? config.GenerationIds("pad_token_id").Cast<int?>().FirstOrDefault();
        PadToken = pad ?? (PadTokenId is { } padId ? IdToToken(padId) : null);
        Resolve("unk_token", out var unk);
        UnknownToken = unk;

        var eosIds = new List<int>();
        if (eosId is { } first) eosIds.Add(first);
        foreach (var id in config.GenerationIds("eos_token_id"))
        {
            if (IdToToken(id) is null) throw new InvalidDataException($"{TokenizerConfig.GenerationFile}: eos_token_id {id} is not a token of {TokenizerFile}");
            if (!eosIds.Contains(id)) eosIds.Add(id);
        }
        EosTokenIds = eosIds;

        if (config.Flag("split_special_tokens") == true)
            throw new InvalidDataException($"{TokenizerConfig.ConfigFile}: split_special_tokens is true (special tokens tokenized as text), which is not supported");
        var tokenizerClass = config.TokenizerClass;
        if (tokenizerClass is not null && LlamaClasses.Contains(tokenizerClass))
        {
            // transformers then rebuilds the tokenizer from the SentencePiece tokenizer.model (from_slow), not tokenizer.json.
            if (config.Member("add_prefix_space") is { IsNull: false })
                throw new InvalidDataException($"{TokenizerConfig.ConfigFile}: add_prefix_space is set for a {tokenizerClass}: transformers then rebuilds the tokenizer from tokenizer.model (SentencePiece), which is not supported");
            var addBos = config.Flag("add_bos_token") ?? true;
            var addEos = config.Flag("add_eos_token") ?? false;
            if (addBos && BosTokenId is null) throw new InvalidDataException($"{TokenizerConfig.ConfigFile}: add_bos_token is true but there is no bos_token");
            if (addEos && eosId is null) throw new InvalidDataException($"{TokenizerConfig.ConfigFile}: add_eos_token is true but there is no eos_token");
            _effectivePostProcessor = new PostProcessor(addBos ? [BosTokenId!.Value] : [], addEos ? [eosId!.Value] : []);
        }
    }

    private PostProcessor? _effectivePostProcessor;

    private PostProcessor Post => _effectivePostProcessor ?? _postProcessor;

    /// <summary>Distinct token ids (vocabulary and added tokens): what transformers' <c>len(tokenizer)</c> gives.</summary>
    public int VocabularySize { get; }

    /// <summary>The beginning-of-sequence token (tokenizer_config.json's <c>bos_token</c>), if the tokenizer has one.</summary>
    public string? BosToken { get; private set; }

    /// <inheritdoc />
    public int? BosTokenId { get; private set; }

    /// <summary>The end-of-sequence token (tokenizer_config.json's <c>eos_token</c>).</summary>
    public string? EosToken { get; private set; }

    /// <summary>Ids that end a sequence: the <c>eos_token</c>'s, then any more generation_config.json's <c>eos_token_id</c> lists.</summary>
    public IReadOnlyList<int> EosTokenIds { get; private set; } = [];

    /// <summary>The padding token (tokenizer_config.json's <c>pad_token</c>, else generation_config.json's <c>pad_token_id</c>).</summary>
    public string? PadToken { get; private set; }

    /// <inheritdoc />
    public int? PadTokenId { get; private set; }

    /// <summary>The unknown token (<c>unk_token</c>), if the tokenizer names one.</summary>
    public string? UnknownToken { get; private set; }

    /// <summary>The added tokens marked special (left out by <c>Decode(ids, skipSpecialTokens: true)</c>).</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>Whether <see cref="Encode"/> with special tokens adds a BOS / EOS (from tokenizer.json's post-processor or, for Llama tokenizers, add_bos_token / add_eos_token).</summary>
    public (bool Bos, bool Eos) AddsSpecialTokens => (Post.Before.Count > 0, Post.After.Count > 0);

    /// <summary>tokenizer_config.json's <c>chat_template</c> (Jinja), or null when it has none.</summary>
    public string? ChatTemplateSource { get; private set; }

    /// <summary>
    /// The chat template recognised from <see cref="ChatTemplateSource"/>. Throws <see cref="InvalidOperationException"/>
    /// when the folder has none and <see cref="InvalidDataException"/> when it is not a known family: pass one of
    /// <see cref="LoraSdk.Models.ChatTemplate"/>'s templates to <see cref="ApplyChatTemplate"/> / <see cref="EncodeChat"/> instead.
    /// </summary>
    public ChatTemplate ChatTemplate => _chatTemplate ??= ChatTemplateSource is null
        ? throw new InvalidOperationException($"{Path.Combine(_folder, TokenizerConfig.ConfigFile)}: no chat_template; pass a template explicitly (ChatTemplate.Llama3, ChatTemplate.ChatML(), ChatTemplate.Mistral(), ...)")
        : ChatTemplate.Recognize(ChatTemplateSource, TokenizerConfig.ConfigFile);

    private ChatTemplate? _chatTemplate;

    /// <summary>
    /// Token ids of <paramref name="text"/>. With <paramref name="addSpecialTokens"/> the post-processor's tokens are added
    /// (Llama 3: &lt;|begin_of_text|&gt; first; Llama 2 / Mistral: &lt;s&gt; per add_bos_token), as transformers'
    /// <c>tokenizer(text)</c> does; without, as <c>add_special_tokens=False</c>.
    /// </summary>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(text[i])) throw new ArgumentException($"text has an unpaired UTF-16 surrogate at index {i}; it is not valid Unicode", nameof(text));
        }
        var ids = new List<int>();
        foreach (var piece in _added.Split(text, _normalizer))
        {
            if (piece.AddedTokenId is { } id) { ids.Add(id); continue; }
            var words = _preTokenizer is null ? [piece] : _preTokenizer.Split(piece);
            foreach (var word in words) _model.Tokenize(word.Text, ids);
        }
        return addSpecialTokens ? Post.Apply(ids) : ids;
    }

    /// <summary>
    /// The text of <paramref name="ids"/> through tokenizer.json's decoder, special tokens left out when
    /// <paramref name="skipSpecialTokens"/>, and transformers' clean-up of spaces before punctuation when
    /// tokenizer_config.json sets <c>clean_up_tokenization_spaces</c>. An id that is no token is skipped, as HF does.
    /// </summary>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        var text = DecodeRaw(ids, skipSpecialTokens);
        return _cleanUpSpaces ? CleanUpSpaces(text) : text;
    }

    /// <summary>A <see cref="TokenStreamDecoder"/> for ids generated one at a time.</summary>
    public TokenStreamDecoder CreateStreamDecoder(bool skipSpecialTokens = true) => new(this, skipSpecialTokens);

    // Decode without transformers' clean-up: what tokenizers' own decode gives.
    internal string DecodeRaw(IReadOnlyList<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>(ids.Count);
        foreach (var id in ids)
        {
            if (IdToToken(id) is not { } token) continue;
            if (skipSpecialTokens && _addedById.TryGetValue(id, out var added) && added.Special) continue;
            tokens.Add(token);
        }
        return _decoder is null ? string.Join(" ", tokens) : string.Concat(_decoder.Decode(tokens));
    }

    /// <summary>The id of a token (an added token's, else the vocabulary's), or null.</summary>
    public int? TokenToId(string token) =>
        _addedIds.TryGetValue(token, out var id) ? id : _model.Vocabulary.TryGetValue(token, out var vocabId) ? vocabId : null;

    /// <summary>The token of an id (as stored: byte-level tokens read "Ġhello"), or null.</summary>
    public string? IdToToken(int id) =>
        _addedById.TryGetValue(id, out var added) ? added.Content : _model.TokensById.TryGetValue(id, out var token) ? token : null;

    /// <summary>Whether decoding applies transformers' clean-up of spaces before punctuation (tokenizer_config.json's <c>clean_up_tokenization_spaces</c>).</summary>
    public bool CleansUpSpaces => _cleanUpSpaces;

    /// <summary>Whether <paramref name="id"/> is an added token marked special.</summary>
    public bool IsSpecialToken(int id) => _addedById.TryGetValue(id, out var added) && added.Special;

    /// <summary>
    /// The prompt text for <paramref name="messages"/> (transformers' <c>apply_chat_template(tokenize=False)</c>), with
    /// <paramref name="template"/> or else the folder's <see cref="ChatTemplate"/>.
    /// </summary>
    public string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, ChatTemplate? template = null) =>
        (template ?? ChatTemplate).Render(messages, addGenerationPrompt, BosToken, EosToken);

    /// <summary>
    /// Ids of the rendered chat (transformers' <c>apply_chat_template(tokenize=True)</c>): the template writes BOS
    /// itself where the family wants it (Llama 3's &lt;|begin_of_text|&gt;, Mistral's &lt;s&gt;), so the text is encoded
    /// without adding special tokens again; a doubled BOS would hurt the model's answers.
    /// </summary>
    public IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, ChatTemplate? template = null) =>
        Encode(ApplyChatTemplate(messages, addGenerationPrompt, template), addSpecialTokens: false);

    /// <summary>Ids generation should stop at for a chat: <see cref="EosTokenIds"/> and the template's end-of-turn tokens (&lt;|eot_id|&gt;, &lt;|im_end|&gt;).</summary>
    public IReadOnlyList<int> ChatStopTokenIds(ChatTemplate? template = null)
    {
        var ids = new List<int>(EosTokenIds);
        foreach (var token in (template ?? ChatTemplate).StopTokens)
        {
            var id = TokenToId(token) ?? throw new InvalidOperationException($"the {(template ?? ChatTemplate).Name} template ends turns with \"{token}\", which this tokenizer does not have");
            if (!ids.Contains(id)) ids.Add(id);
        }
        return ids;
    }

    // transformers' clean_up_tokenization.
    private static string CleanUpSpaces(string text) => new StringBuilder(text)
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
        .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re")
        .ToString();
}
