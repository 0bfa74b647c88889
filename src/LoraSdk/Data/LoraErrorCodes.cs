namespace LoraSdk.Data;

/// <summary>The error ids that training reports for bad input (the build turns them into MSBuild errors).</summary>
public static class LoraErrorCodes
{
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

    /// <summary>A checkpoint that cannot be resumed (missing, cut short, changed or impossible values); training starts over (warning).</summary>
    public const string DamagedCheckpoint = "LORA220";

    /// <summary>A search in which every trial of a round failed: no winner, no adapter (the report says why).</summary>
    public const string SearchFailed = "LORA230";
}
