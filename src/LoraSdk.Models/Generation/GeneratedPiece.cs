namespace LoraSdk.Models;

/// <summary>A piece of text one row of a batched generation produced, streamed as soon as it is complete.</summary>
/// <param name="Row">The prompt's index in the batch.</param>
/// <param name="Text">New text; a row's pieces in order concatenate to its <see cref="GenerationResult.Text"/>.</param>
public readonly record struct GeneratedPiece(int Row, string Text);
