namespace LoraSdk.Data;

/// <summary>The class labels of a classification task and their ids (the order of <see cref="Names"/>).</summary>
public sealed class LabelSet
{
    private readonly Dictionary<string, int> _ids;

    /// <summary>Labels get ids in the order given; a duplicate name or fewer than two labels is an error.</summary>
    public LabelSet(IEnumerable<string> names)
    {
        Names = names.ToList();
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Names.Count; i++)
        {
            if (!_ids.TryAdd(Names[i], i)) throw new ArgumentException($"Label \"{Names[i]}\" is listed twice.", nameof(names));
        }
        if (Names.Count < 2) throw new ArgumentException("A classification task needs at least two labels.", nameof(names));
    }

    /// <summary>The label names in id order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The number of labels.</summary>
    public int Count => Names.Count;

    /// <summary>The labels found in <paramref name="records"/>, sorted ordinally (deterministic ids).</summary>
    public static LabelSet FromRecords(IEnumerable<TextRecord> records) =>
        new(records.Select(r => r.Label!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    /// <summary>The id of the record's label; LORA203 naming file and line when it is not one of <see cref="Names"/>.</summary>
    public int IdOf(TextRecord record)
    {
        if (record.Label is not null && _ids.TryGetValue(record.Label, out int id)) return id;
        throw new LoraInputException(LoraErrorCodes.UnknownLabel, record.File, record.Line, 1,
            $"unknown label \"{record.Label}\" (known labels: {string.Join(", ", Names)}).");
    }
}
