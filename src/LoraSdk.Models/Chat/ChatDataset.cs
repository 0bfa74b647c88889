using LoraSdk.Data;

namespace LoraSdk.Models;

/// <summary>
/// Instruction data ready for <see cref="Training.LoraTrainer"/>: the conversations of a JSONL file
/// (<see cref="ChatJsonlReader"/>) encoded with assistant-only labels (<see cref="ChatExampleEncoder"/>), truncated or
/// refused at <see cref="ChatDataOptions.MaxLength"/>, and packed when <see cref="ChatDataOptions.Pack"/> is set.
/// Every record is read and encoded before anything trains, so a bad one fails first.
/// </summary>
public sealed class ChatDataset
{
    private ChatDataset(IReadOnlyList<ChatRecord> records, IReadOnlyList<EncodedExample> examples, IReadOnlyList<string> warnings)
    {
        Records = records;
        Examples = examples;
        Warnings = warnings;
    }

    /// <summary>The conversations as read (validation prompts for sample generations come from these).</summary>
    public IReadOnlyList<ChatRecord> Records { get; }

    /// <summary>The training sequences (one per conversation, or packed rows).</summary>
    public IReadOnlyList<EncodedExample> Examples { get; }

    /// <summary>Canonical warning lines (<c>file(line,1): warning LORA207: …</c>), one per conversation cut inside an assistant turn.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Reads and encodes <paramref name="path"/>.</summary>
    public static ChatDataset Load(string path, HuggingFaceTokenizer tokenizer, ChatDataOptions options) =>
        FromRecords(ChatJsonlReader.Read(path), tokenizer, options);

    /// <summary>Encodes conversations already read (a split of a file, say).</summary>
    public static ChatDataset FromRecords(IReadOnlyList<ChatRecord> records, HuggingFaceTokenizer tokenizer, ChatDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxLength, 2, nameof(options.MaxLength));
        var examples = new List<EncodedExample>(records.Count);
        var warnings = new List<string>();
        foreach (var record in records)
        {
            var (example, warning) = ChatExampleEncoder.Encode(record, tokenizer, options);
            examples.Add(example);
            if (warning is not null) warnings.Add(warning);
        }
        return new ChatDataset(records, options.Pack ? ExamplePacker.Pack(examples, options.MaxLength) : examples, warnings);
    }
}
