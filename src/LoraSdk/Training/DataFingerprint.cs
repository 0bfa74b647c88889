using LoraSdk.Data;

namespace LoraSdk.Training;

/// <summary>A 64-bit FNV-1a hash of the encoded examples (token ids, lengths, labels, token labels and packing), as hex.</summary>
internal static class DataFingerprint
{
    public static string Of(IReadOnlyList<EncodedExample> examples)
    {
        ulong hash = 14695981039346656037UL;
        void Add(int value)
        {
            for (int shift = 0; shift < 32; shift += 8)
            {
                hash ^= (byte)(value >> shift);
                hash *= 1099511628211UL;
            }
        }
        Add(examples.Count);
        foreach (var example in examples)
        {
            Add(example.TokenIds.Length);
            foreach (int id in example.TokenIds) Add(id);
            Add(example.Label);
            // Which tokens are scored and how they are packed change the run as much as the tokens do.
            foreach (int label in example.TokenLabels ?? []) Add(label);
            foreach (int segment in example.SegmentIds ?? []) Add(segment);
        }
        return hash.ToString("x16");
    }
}
