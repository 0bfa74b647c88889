using LoraSdk.Data;

namespace LoraSdk.Hosting;

/// <summary>What an <see cref="ILoraFineTuningTask"/> read: the encoded splits and the tokenizer the model factory gets.</summary>
/// <param name="Train">The training examples (not empty).</param>
/// <param name="Validation">The validation examples; empty for none (then no evaluation, no early stopping).</param>
/// <param name="Tokenizer">
/// Passed to the model factory as <see cref="LoraModelContext.Tokenizer"/>; its <see cref="ITextTokenizer.PaddingId"/>
/// fills padded positions (masked out of attention and loss).
/// </param>
public sealed record LoraTaskData(IReadOnlyList<EncodedExample> Train, IReadOnlyList<EncodedExample> Validation, ITextTokenizer Tokenizer)
{
    /// <summary>
    /// Files or folders the task read besides the <c>LoRA</c> section's <c>Dataset</c>, <c>ValidationDataset</c> and
    /// <c>BaseModel</c> (a model folder, say): the build retrains when one of them changes.
    /// </summary>
    public IReadOnlyList<string> InputPaths { get; init; } = [];
}
