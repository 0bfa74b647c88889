using LoraSdk.Data;

namespace LoraSdk.Training.Tests.Models;

/// <summary>Small deterministic data sets for trainer tests.</summary>
public static class ToyData
{
    private static readonly string[] Sentences =
    [
        "the cat sat on the mat", "a dog ran in the park", "the sun is warm today", "we read a book at night",
        "birds sing in the tree", "the rain fell all day", "she made tea for two", "he rode a bike to town",
    ];

    public static IReadOnlyList<EncodedExample> Text(int copies = 2) =>
        DatasetEncoder.Encode(Enumerable.Repeat(Sentences, copies).SelectMany(s => s)
            .Select((s, i) => new TextRecord(s, null, "toy", i + 1)), new ByteTokenizer(), maxLength: 32);

    /// <summary>Label 1 for texts made of letters late in the alphabet, 0 for early ones: separable by byte content.</summary>
    public static IReadOnlyList<EncodedExample> Labelled(int count, int seed)
    {
        var random = new Random(seed);
        var records = new List<TextRecord>();
        for (int i = 0; i < count; i++)
        {
            int label = i % 2;
            var chars = Enumerable.Range(0, 6 + random.Next(6)).Select(_ => (char)((label == 0 ? 'a' : 'n') + random.Next(13)));
            records.Add(new TextRecord(new string(chars.ToArray()), label.ToString(), "toy", i + 1));
        }
        return DatasetEncoder.Encode(records, new ByteTokenizer(appendEndOfText: false), 16, new LabelSet(["0", "1"]));
    }
}
