using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoraSdk;

/// <summary>
/// <c>adapter_config.json</c> with the keys HuggingFace PEFT's <c>LoraConfig</c> writes and reads. Keys this
/// type does not model are kept in <see cref="AdditionalProperties"/>, so reading tolerates them and
/// writing gives them back; missing optional keys take PEFT's defaults.
/// </summary>
public sealed record AdapterConfig
{
    /// <summary>The file name PEFT reads and writes.</summary>
    public const string FileName = LoraSdk.Shared.FineTuneContract.AdapterConfigFile;

    /// <summary><c>peft_type</c>: always <c>LORA</c>.</summary>
    [JsonPropertyName("peft_type")] public string PeftType { get; init; } = "LORA";
    /// <summary><c>task_type</c>, e.g. <c>SEQ_CLS</c> or <c>CAUSAL_LM</c>; null when unknown.</summary>
    [JsonPropertyName("task_type")] public string? TaskType { get; init; }
    /// <summary><c>base_model_name_or_path</c>: which model the adapter was trained on.</summary>
    [JsonPropertyName("base_model_name_or_path")] public string? BaseModelNameOrPath { get; init; }
    /// <summary><c>revision</c> of the base model, as PEFT records it.</summary>
    [JsonPropertyName("revision")] public string? Revision { get; init; }
    /// <summary><c>inference_mode</c>: true for a saved adapter.</summary>
    [JsonPropertyName("inference_mode")] public bool InferenceMode { get; init; } = true;

    /// <summary>The default rank; <see cref="RankPattern"/> holds the targets that differ.</summary>
    [JsonPropertyName("r")] public int R { get; init; } = 8;

    /// <summary>The default alpha; <see cref="AlphaPattern"/> holds the targets that differ.</summary>
    [JsonPropertyName("lora_alpha")] public double LoraAlpha { get; init; } = 8;

    /// <summary><c>lora_dropout</c>: one value for all targets (the most common one).</summary>
    [JsonPropertyName("lora_dropout")] public double LoraDropout { get; init; }

    /// <summary>Target module names (PEFT matches each against a module path or its dotted suffix). A regex string is read as one entry.</summary>
    [JsonPropertyName("target_modules"), JsonConverter(typeof(StringOrListConverter))]
    public IReadOnlyList<string> TargetModules { get; init; } = [];

    /// <summary><c>use_rslora</c>: scaling alpha / √r.</summary>
    [JsonPropertyName("use_rslora")] public bool UseRsLora { get; init; }
    /// <summary><c>bias</c>: <c>none</c>; LoraSdk adapters hold no bias tensors, so anything else is refused on load.</summary>
    [JsonPropertyName("bias")] public string Bias { get; init; } = "none";
    /// <summary><c>fan_in_fan_out</c>: false, weights are (out × in); true is refused on load.</summary>
    [JsonPropertyName("fan_in_fan_out")] public bool FanInFanOut { get; init; }
    /// <summary><c>use_dora</c>: DoRA (weight-decomposed LoRA); the file then holds each target's <c>lora_magnitude_vector</c>.</summary>
    [JsonPropertyName("use_dora")] public bool UseDora { get; init; }
    /// <summary><c>lora_bias</c>: a bias on B is not supported; true is refused on load.</summary>
    [JsonPropertyName("lora_bias")] public bool LoraBias { get; init; }

    /// <summary>PEFT's <c>init_lora_weights</c>: <c>true</c>, <c>false</c>, or a method name such as <c>gaussian</c> or <c>pissa</c>.</summary>
    [JsonPropertyName("init_lora_weights"), JsonConverter(typeof(BoolOrStringConverter))]
    public string InitLoraWeights { get; init; } = "true";

    /// <summary>Per-target rank exceptions; keys are target paths (PEFT regex semantics: <c>(.*\.)?key$</c>).</summary>
    [JsonPropertyName("rank_pattern")] public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    /// <summary>Per-target alpha exceptions, keyed like <see cref="RankPattern"/>.</summary>
    [JsonPropertyName("alpha_pattern")] public IReadOnlyDictionary<string, double> AlphaPattern { get; init; } = new Dictionary<string, double>();

    /// <summary>Modules saved in full next to the LoRA tensors; null when there are none (as PEFT writes it).</summary>
    [JsonPropertyName("modules_to_save")] public IReadOnlyList<string>? ModulesToSave { get; init; }

    /// <summary>Keys this type does not model, kept as read.</summary>
    [JsonExtensionData] public IDictionary<string, JsonElement>? AdditionalProperties { get; init; }

    /// <summary>The initialisation <see cref="InitLoraWeights"/> names, or null for one LoraSdk does not implement.</summary>
    [JsonIgnore]
    public LoraInit? Init => InitLoraWeights switch
    {
        "true" => LoraInit.Kaiming,
        "gaussian" => LoraInit.Gaussian,
        "pissa" => LoraInit.PiSSA,
        _ when InitLoraWeights.StartsWith("pissa_niter_", StringComparison.Ordinal) => LoraInit.PiSSA,
        _ => null,
    };

    /// <summary>The rank of the target at <paramref name="targetPath"/>, as PEFT resolves it.</summary>
    public int RankFor(string targetPath) =>
        PeftPattern.Find(RankPattern.Keys, targetPath) is { } key ? RankPattern[key] : R;

    /// <summary>The alpha of the target at <paramref name="targetPath"/>, as PEFT resolves it.</summary>
    public double AlphaFor(string targetPath) =>
        PeftPattern.Find(AlphaPattern.Keys, targetPath) is { } key ? AlphaPattern[key] : LoraAlpha;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>Reads a config file; errors name the file and, for bad JSON, the line and column.</summary>
    public static AdapterConfig Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Adapter config '{path}' does not exist.", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses config JSON; <paramref name="source"/> names it in errors.</summary>
    public static AdapterConfig Parse(ReadOnlySpan<byte> json, string source)
    {
        AdapterConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<AdapterConfig>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            long line = (e.LineNumber ?? 0) + 1, column = (e.BytePositionInLine ?? 0) + 1;
            string? key = e.Path is null or "$" ? null : e.Path.StartsWith("$.", StringComparison.Ordinal) ? e.Path[2..] : e.Path;
            throw new AdapterFormatException(source, key, $"cannot read the config at line {line}, position {column}: {Data.JsonErrorText.WithoutPosition(e.Message)}", e);
        }
        if (config is null) throw new AdapterFormatException(source, null, "the file holds 'null', expected a JSON object.");
        // PEFT writes null for empty optional collections; normalise so callers never see null.
        return config with
        {
            TargetModules = config.TargetModules ?? [],
            RankPattern = config.RankPattern ?? new Dictionary<string, int>(),
            AlphaPattern = config.AlphaPattern ?? new Dictionary<string, double>(),
            InitLoraWeights = config.InitLoraWeights ?? "true",
            Bias = config.Bias ?? "none",
            PeftType = config.PeftType ?? "",
        };
    }

    /// <summary>Writes the config as indented JSON, replacing the file (<c>SaveAdapter</c> makes the whole folder atomic).</summary>
    public void Write(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        JsonSerializer.Serialize(stream, this, JsonOptions);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>The config as JSON, as <see cref="Write"/> writes it.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Checks that the settings describe a LoRA adapter LoraSdk can load; errors name the file and key.</summary>
    internal void Validate(string source)
    {
        void Fail(string key, string message) => throw new AdapterFormatException(source, key, message);

        if (PeftType != "LORA") Fail("peft_type", $"is '{PeftType}'; only LORA adapters can be loaded.");
        if (R <= 0) Fail("r", $"must be a positive rank, found {R}.");
        if (!(LoraAlpha > 0) || double.IsInfinity(LoraAlpha)) Fail("lora_alpha", $"must be a positive number, found {LoraAlpha}.");
        if (Bias != "none") Fail("bias", $"is '{Bias}'; only 'none' is supported (bias tensors are not part of LoraSdk adapters).");
        if (FanInFanOut) Fail("fan_in_fan_out", "is true; only layers that store weights as (out, in) are supported.");
        if (LoraBias) Fail("lora_bias", "is true; LoRA B biases are not supported.");
        foreach (var (key, rank) in RankPattern)
        {
            if (rank <= 0) Fail($"rank_pattern.{key}", $"must be a positive rank, found {rank}.");
            if (!PeftPattern.IsValid(key)) Fail($"rank_pattern.{key}", "is not a valid regular expression.");
        }
        foreach (var (key, alpha) in AlphaPattern)
        {
            if (!(alpha > 0) || double.IsInfinity(alpha)) Fail($"alpha_pattern.{key}", $"must be a positive number, found {alpha}.");
            if (!PeftPattern.IsValid(key)) Fail($"alpha_pattern.{key}", "is not a valid regular expression.");
        }
    }
}
