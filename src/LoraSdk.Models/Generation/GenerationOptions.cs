namespace LoraSdk.Models;

/// <summary>
/// How a causal LM generates text: greedy or sampled decoding, the logits processing before each pick, and when a
/// sequence stops. Names and defaults follow transformers' <c>GenerationConfig</c> (where they differ, the docs say
/// why: docs/models.md, "Generation").
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>Most tokens generated per sequence, the stop token included (transformers' <c>max_new_tokens</c>). Default 128.</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>
    /// Fewest tokens generated before an end-of-sequence id may be picked: until then the EOS ids' logits are set to
    /// −∞, as transformers' <c>min_new_tokens</c> does. Stop strings are not held back by it. Default 0.
    /// </summary>
    public int MinNewTokens { get; init; }

    /// <summary>Sample from the processed distribution (true) or pick its argmax (false, greedy: the default).</summary>
    public bool DoSample { get; init; }

    /// <summary>Logits are divided by it before sampling (only with <see cref="DoSample"/>; must then be &gt; 0). Default 1.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>
    /// With <see cref="DoSample"/>: keep the tokens whose logit is at least the k-th largest (ties with it kept, as
    /// transformers does); 0 turns the filter off. Default 50, transformers' default.
    /// </summary>
    public int TopK { get; init; } = 50;

    /// <summary>
    /// With <see cref="DoSample"/>: nucleus sampling, keeping the most probable tokens whose probabilities add up to at
    /// least this (transformers' rule); in (0, 1], 1 turns the filter off. Default 1.
    /// </summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>
    /// The seed of the sampling generators: row r of a batch draws from its own generator seeded from (Seed, r), so a
    /// row's tokens depend on its own logits and this seed only, never on the other rows. Null: a random seed.
    /// </summary>
    public long? Seed { get; init; }

    /// <summary>
    /// Penalty on every token already in the row (its prompt and what it generated, padding not counted): positive
    /// logits are divided by it, negative ones multiplied, as transformers' <c>repetition_penalty</c>. 1 = off (default).
    /// </summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>
    /// A row stops as soon as its generated text contains one of these; the returned and streamed text ends just
    /// before the first occurrence (the stop string and anything after it are cut). Default none.
    /// </summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>End-of-sequence ids that stop a row; null (default) takes the tokenizer's (with generation_config.json's), empty turns EOS stopping off.</summary>
    public IReadOnlyList<int>? EosTokenIds { get; init; }

    /// <summary>Whether text prompts are encoded with the tokenizer's special tokens (BOS). Turn off for text a chat template already rendered with its BOS. Default true.</summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary>Whether special tokens are left out of the returned text (transformers' <c>skip_special_tokens</c>). Default true.</summary>
    public bool SkipSpecialTokens { get; init; } = true;

    /// <summary>
    /// The defaults a model ships in its <c>generation_config.json</c> (what transformers' <c>generate()</c> starts
    /// from): max_new_tokens, min_new_tokens, do_sample, temperature, top_k, top_p, repetition_penalty, eos_token_id,
    /// stop_strings; keys left out keep this record's defaults, others (max_length, pad_token_id, …) are ignored. Adjust
    /// the result with <c>with { … }</c>. A value of the wrong type or out of range is an <see cref="InvalidDataException"/>
    /// naming the file and the key.
    /// </summary>
    public static GenerationOptions FromGenerationConfig(string path) => GenerationConfigFile.Read(path);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first option whose value is out of range.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 1)
            throw Bad(nameof(MaxNewTokens), MaxNewTokens, "must be at least 1");
        if (MinNewTokens < 0 || MinNewTokens > MaxNewTokens)
            throw Bad(nameof(MinNewTokens), MinNewTokens, $"must be between 0 and MaxNewTokens ({MaxNewTokens})");
        if (!double.IsFinite(Temperature) || (DoSample && Temperature <= 0))
            throw Bad(nameof(Temperature), Temperature, DoSample ? "must be a finite number > 0 when DoSample is true (use DoSample = false for greedy decoding)" : "must be a finite number");
        if (TopK < 0)
            throw Bad(nameof(TopK), TopK, "must be >= 0 (0 turns top-k filtering off)");
        if (!(TopP > 0 && TopP <= 1))
            throw Bad(nameof(TopP), TopP, "must be in (0, 1] (1 turns nucleus filtering off)");
        if (!double.IsFinite(RepetitionPenalty) || RepetitionPenalty <= 0)
            throw Bad(nameof(RepetitionPenalty), RepetitionPenalty, "must be a finite number > 0 (1 turns it off)");
        if (StopStrings is null)
            throw new ArgumentNullException(nameof(StopStrings), "GenerationOptions.StopStrings must not be null (use an empty list)");
        for (int i = 0; i < StopStrings.Count; i++)
            if (string.IsNullOrEmpty(StopStrings[i]))
                throw new ArgumentException($"GenerationOptions.StopStrings[{i}] is empty or null; a stop string needs at least one character", nameof(StopStrings));
        if (EosTokenIds is not null)
            for (int i = 0; i < EosTokenIds.Count; i++)
                if (EosTokenIds[i] < 0)
                    throw new ArgumentException($"GenerationOptions.EosTokenIds[{i}] is {EosTokenIds[i]}; token ids are >= 0", nameof(EosTokenIds));
    }

    private static ArgumentOutOfRangeException Bad(string option, object value, string rule) =>
        new(option, value, $"GenerationOptions.{option} {rule}; got {value}.");
}
