namespace LoraSdk.Data;

/// <summary>
/// The catalogue of the runtime's codes, LORA2xx: what a fine-tuning program reports (the build turns each into an
/// MSBuild error or warning). One constant per code, each with its row in docs/training.md or docs/search.md; the
/// other ranges have their own catalogue (LORA0xx: the generator's <c>LoraDiagnostics</c>; LORA1xx: the build's
/// <c>FineTuneContract.BuildCodes</c>). tests/LoraSdk.Generators.Tests/CodeCatalogueTests checks that every code the
/// sources and docs name is in its range's catalogue and documented. (It lives in <c>Data/</c>, the folder every
/// other may use, under the public name users already reference.)
/// </summary>
public static class LoraErrorCodes
{
    /// <summary>An unexpected failure inside the fine-tuning program (a bug, not bad input).</summary>
    public const string UnexpectedFailure = "LORA200";

    /// <summary>A record that cannot be parsed (invalid JSON, bad CSV quoting, wrong field count, wrong type).</summary>
    public const string InvalidRecord = "LORA201";

    /// <summary>A record or header without a required field.</summary>
    public const string MissingField = "LORA202";

    /// <summary>A label that is not one of the task's labels.</summary>
    public const string UnknownLabel = "LORA203";

    /// <summary>A data file without a single example.</summary>
    public const string EmptyFile = "LORA204";

    /// <summary>A file that is not valid UTF-8 (or cannot be read at all).</summary>
    public const string UnreadableEncoding = "LORA205";

    /// <summary>A conversation longer than the maximum length when the data options say to refuse rather than truncate.</summary>
    public const string SequenceTooLong = "LORA206";

    /// <summary>Truncation cut inside an assistant turn (a warning: the turn's start is not trained on).</summary>
    public const string TruncatedTurn = "LORA207";

    /// <summary>A configuration value that fails validation.</summary>
    public const string InvalidOption = "LORA210";

    /// <summary>A file or folder the run needs could not be read or written (disk full, permissions).</summary>
    public const string FileSystem = "LORA211";

    /// <summary>A base model that cannot be loaded: a model folder's file missing or unreadable, a config key, tensor or tokenizer part it cannot use.</summary>
    public const string InvalidModel = "LORA212";

    /// <summary>A checkpoint that cannot be resumed (missing, cut short, changed or impossible values); training starts over (warning).</summary>
    public const string DamagedCheckpoint = "LORA220";

    /// <summary>A search in which every trial of a round failed: no winner, no adapter (the report says why).</summary>
    public const string SearchFailed = "LORA230";

    /// <summary>A training run stopped because its loss or a gradient is not finite (the image template's trainer: docs/models.md); no adapter.</summary>
    public const string TrainingDiverged = "LORA231";

    /// <summary>An export the run asked for (<c>LoRA:Gguf</c>) could not write its file; the PEFT adapter beside it is complete, the run fails.</summary>
    public const string ExportFailed = "LORA240";

    /// <summary>Every code above (read from the constants, so a new one cannot be left out), for the test that checks the sources and docs against this catalogue.</summary>
    public static IReadOnlyList<string> All { get; } = typeof(LoraErrorCodes)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).Order(StringComparer.Ordinal).ToArray();
}
