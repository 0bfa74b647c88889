using static TorchSharp.torch;

namespace LoraSdk.Models.Gguf;

/// <summary>
/// Reorders q/k projection rows from HuggingFace's rotate_half layout to the adjacent-pair layout llama.cpp's
/// <c>llama</c> architecture rotates. HF pairs dimension j with j + d/2 inside each head; llama.cpp pairs 2j with
/// 2j + 1. Moving row j to 2j and row j + d/2 to 2j + 1 (per head) makes llama.cpp rotate exactly the pairs HF
/// rotates, with the same frequency; q·k is unchanged because q and k get the same reordering.
/// </summary>
internal static class RotaryRowOrder
{
    /// <summary>The reordered copy of <paramref name="rows"/> (a weight [heads·d, in], a bias [heads·d], or a LoRA B [heads·d, r]).</summary>
    internal static Tensor ToAdjacentPairs(Tensor rows, int heads)
    {
        long total = rows.shape[0];
        if (total % (2L * heads) != 0)
            throw new ArgumentException($"Cannot reorder {total} rows into {heads} heads of even size.");
        long half = total / heads / 2;
        long[] rest = rows.shape[1..];
        // [heads, 2, half, ...] -> [heads, half, 2, ...]: row (h, s, j) moves to (h, j, s), i.e. j + s·half -> 2j + s.
        return rows.reshape([heads, 2, half, .. rest]).transpose(1, 2).reshape(rows.shape).contiguous();
    }
}
