using LoraSdk.Data;

namespace LoraSdk.Training;

/// <summary>A 64-bit FNV-1a hash of the encoded examples (token ids, lengths and labels), as hex.</summary>
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
        }
        return hash.ToString("x16");
    }
}
