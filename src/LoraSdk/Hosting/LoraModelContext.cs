using LoraSdk.Data;

namespace LoraSdk.Hosting;

/// <summary>What a model factory gets: the adapter settings, the tokenizer (for the vocabulary size) and the labels.</summary>
public sealed record LoraModelContext(
    LoraOptions Lora, LoraFineTuningOptions Options, ITextTokenizer Tokenizer, LabelSet? Labels, IServiceProvider Services);
