using System.Text.Json.Serialization;

namespace LoraSdk.Search;

/// <summary>One searched option and the values to try, canonical and in the order written.</summary>
internal sealed record SearchDimension(string Key, IReadOnlyList<string> Values);

/// <summary>
/// One setting of every searched option: <c>Rank=8, LearningRate=0.001</c>. The incumbent (the configured settings)
/// may leave a key <see cref="AsDeclared"/>: no value is passed, so the model keeps what its <c>[LoRA]</c> attribute declares.
/// </summary>
internal sealed record Candidate(int Index, IReadOnlyList<KeyValuePair<string, string>> Settings)
{
    /// <summary>The value of a key the configuration does not set (the model's declared one applies).</summary>
    public const string AsDeclared = "";

    /// <summary>The settings that have a value (what a trial passes on).</summary>
    [JsonIgnore] public IEnumerable<KeyValuePair<string, string>> SetValues => Settings.Where(s => s.Value != AsDeclared);

    /// <summary>The value this candidate gives <paramref name="key"/>, or null when the key is not searched.</summary>
    [JsonIgnore] public string? this[string key] => Settings.FirstOrDefault(s => s.Key == key).Value;

    /// <summary>Candidates are equal when they are the same setting (the lists are compared by content, not reference).</summary>
    public bool Equals(Candidate? other) => other is not null && Index == other.Index && Label == other.Label;

    /// <summary>Hashes what <see cref="Equals(Candidate?)"/> compares.</summary>
    public override int GetHashCode() => HashCode.Combine(Index, Label);

    /// <summary>e.g. <c>Rank=8, LearningRate=0.001</c>; also the candidate's identity in the search state.</summary>
    [JsonIgnore] public string Label => string.Join(", ", Settings.Select(s => $"{s.Key}={(s.Value == AsDeclared ? "as declared" : s.Value)}"));
}

/// <summary>
/// The options a search varies and their values: <c>Rank=4,8,16;LearningRate=3e-4,1e-3</c>. The candidates
/// are every combination (the grid), the first dimension varying slowest.
/// </summary>
internal sealed record SearchSpace(IReadOnlyList<SearchDimension> Dimensions)
{
    /// <summary>The number of candidates: the product of the dimensions' value counts.</summary>
    public int Count => Dimensions.Aggregate(1, (product, d) => checked(product * d.Values.Count));

    /// <summary>Every combination of the values (the grid), indexed in order.</summary>
    public IReadOnlyList<Candidate> Candidates()
    {
        var grid = new List<List<KeyValuePair<string, string>>> { new() };
        foreach (var dimension in Dimensions)
            grid = grid.SelectMany(settings => dimension.Values.Select(v => new List<KeyValuePair<string, string>>(settings) { new(dimension.Key, v) })).ToList();
        return grid.Select((settings, i) => new Candidate(i, settings)).ToList();
    }

    /// <summary>The canonical spelling (keys as documented, values canonical): equal spaces print equal text.</summary>
    public override string ToString() => string.Join(";", Dimensions.Select(d => $"{d.Key}={string.Join(",", d.Values)}"));

    /// <summary>The dimension of <paramref name="key"/>, or null when it is not searched.</summary>
    public SearchDimension? Dimension(string key) => Dimensions.FirstOrDefault(d => d.Key == key);
}
