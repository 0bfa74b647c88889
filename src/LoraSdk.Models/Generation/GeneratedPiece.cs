namespace LoraSdk.Models;

/// <summary>A piece of text one row of a batched generation produced, streamed as soon as it is complete.</summary>
/// <param name="Row">The prompt's index in the batch.</param>
/// <param name="Text">New text; a row's pieces in order concatenate to its <see cref="GenerationResult.Text"/>.</param>
public readonly record struct GeneratedPiece(int Row, string Text)
{
    /// <summary>
    /// The row's result on its last piece (whose <see cref="Text"/> may then be empty), null on the others: why it
    /// stopped and how many tokens it used, as a streaming server's last message reports (OpenAI's <c>finish_reason</c>, <c>usage</c>).
    /// </summary>
    public GenerationResult? Result { get; init; }
}
