namespace LoraSdk.Models;

/// <summary>
/// One split of the text on its way through the pipeline (HF's PreTokenizedString split): either an added token,
/// already an id, or text still to be normalized, pre-tokenized and run through the model.
/// </summary>
/// <param name="Text">The piece's text as the pipeline has transformed it so far.</param>
/// <param name="StartsText">Whether the piece begins at offset 0 of the caller's text (Metaspace's
/// <c>prepend_scheme: "first"</c> prepends only there).</param>
/// <param name="AddedTokenId">The id when the piece is an added token.</param>
internal readonly record struct TextPiece(string Text, bool StartsText, int? AddedTokenId = null)
{
    /// <summary>Sub-pieces of this piece from (start, length) spans that cover it in order; empty spans are dropped, as HF drops empty splits.</summary>
    public IEnumerable<TextPiece> Slices(IEnumerable<(int Start, int Length)> spans)
    {
        foreach (var (start, length) in spans)
        {
            if (length == 0) continue;
            yield return new TextPiece(Text.Substring(start, length), StartsText && start == 0);
        }
    }
}
