using LoraSdk.Data;
using LoraSdk.Training;

namespace LoraSdk.Hosting;

/// <summary>
/// The configured data, read, checked and tokenised before any training starts: every bad record surfaces
/// here as a <see cref="LoraInputException"/> naming file and line.
/// </summary>
internal sealed record FineTuningData(
    IReadOnlyList<EncodedExample> Train, IReadOnlyList<EncodedExample> Validation, ITextTokenizer Tokenizer, LabelSet? Labels)
{
    /// <summary>What the run read besides the <c>LoRA</c> section's files (an <see cref="ILoraFineTuningTask"/>'s model folder, say).</summary>
    public IReadOnlyList<string> InputPaths { get; init; } = [];

    /// <summary>The data an <see cref="ILoraFineTuningTask"/> read, checked as the section's readers check theirs.</summary>
    /// <exception cref="LoraInputException">The task found no training example.</exception>
    public static FineTuningData From(LoraTaskData data, LoraFineTuningOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Train.Count == 0)
            throw new LoraInputException(LoraErrorCodes.EmptyFile, options.Dataset ?? "(no Dataset)", 1, 1, "no training examples.");
        return new FineTuningData(data.Train, data.Validation, data.Tokenizer, null) { InputPaths = data.InputPaths };
    }

    /// <summary>Reads, splits and encodes the configured datasets with the configured tokenizer.</summary>
    /// <exception cref="LoraInputException">A data or vocabulary file is unreadable or holds a bad record.</exception>
    public static FineTuningData Load(LoraFineTuningOptions options, LoraTask task)
    {
        var tokenizer = CreateTokenizer(options);
        bool classify = task == LoraTask.SequenceClassification;
        var read = new DatasetReadOptions
        {
            Format = options.Format,
            TextField = options.TextField,
            LabelField = classify ? options.LabelField : null,
            TextMode = options.TextMode,
        };
        var trainRecords = DatasetReader.Read(options.Dataset!, read);
        var validationRecords = options.ValidationDataset is null ? null : DatasetReader.Read(options.ValidationDataset, read);
        var labels = !classify ? null : options.Labels.Length > 0 ? new LabelSet(options.Labels) : LabelSet.FromRecords(trainRecords);

        IReadOnlyList<EncodedExample> Encode(IReadOnlyList<TextRecord> records) =>
            !classify && options.TextMode == TextFileMode.Corpus
                ? DatasetEncoder.EncodeBlocks(records, tokenizer, options.MaxLength)
                : DatasetEncoder.Encode(records, tokenizer, options.MaxLength, labels);

        var train = Encode(trainRecords);
        if (train.Count == 0)
            throw new LoraInputException(LoraErrorCodes.EmptyFile, options.Dataset!, 1, 1,
                $"no training examples after tokenisation (a corpus needs at least {options.MaxLength} tokens per block).");
        IReadOnlyList<EncodedExample> validation = [];
        if (validationRecords is not null) validation = Encode(validationRecords);
        else if (options.ValidationSplit > 0 && train.Count >= 2) (train, validation) = DataSplit.Split(train, options.ValidationSplit, options.Trainer.Seed);
        return new FineTuningData(train, validation, tokenizer, labels);
    }

    private static ITextTokenizer CreateTokenizer(LoraFineTuningOptions options) => options.Tokenizer switch
    {
        TokenizerKind.Gpt2 => new Gpt2Tokenizer(),
        TokenizerKind.WordPiece => new WordPieceTokenizer(options.VocabularyFile!),
        _ => new ByteTokenizer(),
    };
}
