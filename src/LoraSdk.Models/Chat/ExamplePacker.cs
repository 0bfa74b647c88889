using LoraSdk.Data;

namespace LoraSdk.Models;

/// <summary>
/// Packs consecutive examples into rows of at most a given length (first fit in file order, so packing is a pure
/// function of the data). Each row numbers its examples 1, 2, … in <see cref="EncodedExample.SegmentIds"/>; a model
/// that supports packing (<see cref="CausalLM.CallPacked"/>) restarts positions and keeps attention inside each.
/// </summary>
public static class ExamplePacker
{
    /// <summary>The packed rows; an example longer than <paramref name="maxLength"/> is refused (encode with truncation first).</summary>
    public static IReadOnlyList<EncodedExample> Pack(IReadOnlyList<EncodedExample> examples, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var rows = new List<EncodedExample>();
        var current = new List<EncodedExample>();
        int length = 0;
        foreach (var example in examples)
        {
            if (example.TokenIds.Length > maxLength)
                throw new ArgumentException($"An example has {example.TokenIds.Length} tokens, more than the packing length {maxLength}.", nameof(examples));
            if (length + example.TokenIds.Length > maxLength) Flush();
            current.Add(example);
            length += example.TokenIds.Length;
        }
        Flush();
        return rows;

        void Flush()
        {
            if (current.Count == 0) return;
            var ids = new List<int>(length);
            var labels = new List<int>(length);
            var segments = new List<int>(length);
            for (int i = 0; i < current.Count; i++)
            {
                var example = current[i];
                ids.AddRange(example.TokenIds);
                int start = labels.Count;
                labels.AddRange(example.TokenLabels ?? example.TokenIds);
                // An example's first token is never a target: in the row it would be predicted from the previous example.
                labels[start] = EncodedExample.IgnoredTokenLabel;
                segments.AddRange(Enumerable.Repeat(i + 1, example.TokenIds.Length));
            }
            rows.Add(new EncodedExample([.. ids], TokenLabels: [.. labels], SegmentIds: [.. segments]));
            current.Clear();
            length = 0;
        }
    }
}
