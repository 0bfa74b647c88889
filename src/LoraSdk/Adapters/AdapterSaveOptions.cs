namespace LoraSdk;

/// <summary>Optional settings for <see cref="AdapterModelExtensions.SaveAdapter"/>.</summary>
public sealed record AdapterSaveOptions
{
    /// <summary>Written as <c>base_model_name_or_path</c>: what Python's <c>PeftModel.from_pretrained</c> users load first.</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary>
    /// Modules (dotted paths, or PEFT-style dotted suffixes) whose full state is saved with the adapter,
    /// PEFT's <c>modules_to_save</c> (e.g. a freshly initialised classifier head).
    /// </summary>
    public IReadOnlyList<string> ModulesToSave { get; init; } = [];

    /// <summary>PEFT's <c>task_type</c>, e.g. <c>SEQ_CLS</c> or <c>CAUSAL_LM</c>; null for a plain model.</summary>
    public string? TaskType { get; init; }

    /// <summary>Extra string entries for the safetensors <c>__metadata__</c> (<c>format</c> is reserved: always <c>pt</c>).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Writes more files into the adapter folder as part of the same atomic save (e.g. a trainer's resume
    /// state): called with the staging folder after the adapter files are written. If it throws, nothing is
    /// replaced. It must not overwrite the two adapter files.
    /// </summary>
    public Action<string>? WriteAdditionalFiles { get; init; }

    /// <summary>
    /// Receives warnings about the folder saved over, e.g. a subfolder holding adapter files that LoraSdk did not write
    /// (a user's backup): it is kept, never deleted. Default: written to standard error.
    /// </summary>
    public Action<string>? Warning { get; init; }

    internal void Warn(string message)
    {
        if (Warning is { } warning) warning(message);
        else Console.Error.WriteLine(message);
    }
}
