namespace LoraSdk.Data;

/// <summary>Tokenises records: truncation to a maximum length, or a corpus cut into fixed-length blocks.</summary>
public static class DatasetEncoder
{
    /// <summary>
    /// One example per record, truncated to <paramref name="maxLength"/> tokens; records with labels get
    /// their id from <paramref name="labels"/> (an unknown label is LORA203 with the record's file and line).
    /// </summary>
    public static IReadOnlyList<EncodedExample> Encode(IEnumerable<TextRecord> records, ITextTokenizer tokenizer, int maxLength, LabelSet? labels = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var examples = new List<EncodedExample>();
        foreach (var record in records)
        {
            var ids = tokenizer.Encode(record.Text);
            if (ids.Count == 0) continue;
            int label = labels?.IdOf(record) ?? -1;
            examples.Add(new EncodedExample(ids.Take(maxLength).ToArray(), label));
        }
        return examples;
    }

    /// <summary>
    /// Concatenates all records' tokens and cuts them into blocks of exactly <paramref name="blockLength"/>
    /// tokens (the remainder shorter than a block is dropped, as in the usual LM recipes).
    /// </summary>
    public static IReadOnlyList<EncodedExample> EncodeBlocks(IEnumerable<TextRecord> records, ITextTokenizer tokenizer, int blockLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockLength, 2);
        var all = records.SelectMany(r => tokenizer.Encode(r.Text)).ToArray();
        var blocks = new List<EncodedExample>(all.Length / blockLength);
        for (int start = 0; start + blockLength <= all.Length; start += blockLength)
            blocks.Add(new EncodedExample(all[start..(start + blockLength)]));
        return blocks;
    }
}
