using LoraSdk.Search;
using LoraSdk.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LoraSdk.Hosting;

/// <summary>
/// Start-up checks of the <c>LoRA</c> section. Each failure reads <c>LoRA:Key = value: problem</c>, so the host
/// can point at the file and line that set the key (<see cref="ConfigurationOrigin"/>).
/// </summary>
internal sealed class LoraFineTuningOptionsValidator(IConfiguration configuration, IEnumerable<ILoraAdapterExporter> exporters) : IValidateOptions<LoraFineTuningOptions>
{
    private static readonly HashSet<string> KnownKeys = LoraFineTuningOptions.Keys.Concat(SearchOptions.Keys).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every problem of <paramref name="options"/> as a message naming the key, its value and where it was set.</summary>
    public ValidateOptionsResult Validate(string? name, LoraFineTuningOptions options)
    {
        var failures = new List<string>();
        void Check(bool ok, string key, object? value, string problem)
        {
            if (!ok) failures.Add($"{Key(key)} = {value ?? "(not set)"}: {problem}");
        }

        foreach (var child in configuration.GetSection(LoraFineTuningOptions.SectionName).GetChildren())
        {
            if (!KnownKeys.Contains(child.Key))
                failures.Add($"{Key(child.Key)} = {child.Value ?? "(section)"}: unknown option (known: {string.Join(", ", KnownKeys.Order())}).");
            // A number binds to any enum, named or not: every enum-valued key takes its names only.
            else if (EnumOptions.Problem(child.Key, child.Value) is { } enumProblem)
                failures.Add($"{Key(child.Key)} = {child.Value}: {enumProblem}");
        }

        Check(options.ValidationSplit is >= 0 and < 1, nameof(options.ValidationSplit), options.ValidationSplit, "must be in [0, 1).");
        Check(options.MaxLength >= 2, nameof(options.MaxLength), options.MaxLength, "must be at least 2.");
        Check(!string.IsNullOrWhiteSpace(options.Output), nameof(options.Output), options.Output, "must name the adapter folder.");
        Check(!string.IsNullOrWhiteSpace(options.TextField), nameof(options.TextField), options.TextField, "must name the text field.");
        Check(options.Labels.Distinct(StringComparer.Ordinal).Count() == options.Labels.Length, nameof(options.Labels),
            string.Join(",", options.Labels), "lists a label twice.");
        Check(!string.IsNullOrWhiteSpace(options.Dataset), nameof(options.Dataset), options.Dataset, "is required: the training data file.");
        if (!string.IsNullOrWhiteSpace(options.Dataset))
            Check(File.Exists(options.Dataset), nameof(options.Dataset), options.Dataset, "no such file.");
        if (options.ValidationDataset is not null)
            Check(File.Exists(options.ValidationDataset), nameof(options.ValidationDataset), options.ValidationDataset, "no such file.");
        if (options.Tokenizer == TokenizerKind.WordPiece)
            Check(options.VocabularyFile is not null && File.Exists(options.VocabularyFile), nameof(options.VocabularyFile), options.VocabularyFile,
                "the WordPiece tokenizer needs an existing vocab.txt.");

        Check(LoraSdk.Shared.FineTuneContract.GgufBaseTypes.Contains(options.GgufBaseType, StringComparer.Ordinal), nameof(options.GgufBaseType), options.GgufBaseType,
            $"must be one of {string.Join(", ", LoraSdk.Shared.FineTuneContract.GgufBaseTypes)}.");
        foreach (var (format, option) in AdapterExports.Requested(options))
        {
            Check(exporters.Any(e => e.Format == format), option, "true",
                $"no {format} exporter is registered in this program (LoraSdk.Models' services.AddLoraGgufExport() writes GGUF for a CausalLM).");
            Check(!SearchOptions.From(configuration, LoraFineTuningOptions.SectionName).IsSearch, option, "true",
                "is not supported with a search (LoRA:Search): export the winning adapter from a plain run.");
        }

        foreach (var (property, value, problem) in OutputLocations.Problems(options))
            failures.Add($"{Key(property)} = {value}: {problem}");

        foreach (var (property, value, problem) in SearchOptions.From(configuration, LoraFineTuningOptions.SectionName).Problems())
            failures.Add($"{Key(property)} = {value}: {problem}");

        // The adapter's and the trainer's own rules, each named by its key.
        foreach (var (property, value, rule) in options.Adapter.Problems().Concat(options.ToTrainerOptions().Problems()))
            if (!failures.Any(f => f.StartsWith(Key(property) + " = ", StringComparison.Ordinal))) // an enum value, reported above as written
                failures.Add($"{Key(property)} = {value}: {rule}.");

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string Key(string property) => $"{LoraFineTuningOptions.SectionName}:{property}";
}
