using System.Text.Json.Serialization;

namespace LoraSdk.Search;

/// <summary>One searched option and the values to try, canonical and in the order written.</summary>
public sealed record SearchDimension(string Key, IReadOnlyList<string> Values);

/// <summary>One setting of every searched option: <c>Rank=8, LearningRate=0.001</c>.</summary>
public sealed record Candidate(int Index, IReadOnlyList<KeyValuePair<string, string>> Settings)
{
    [JsonIgnore] public string? this[string key] => Settings.FirstOrDefault(s => s.Key == key).Value;

    /// <summary>e.g. <c>Rank=8, LearningRate=0.001</c>; also the candidate's identity in the search state.</summary>
    /// <summary>Candidates are equal when they are the same setting (the lists are compared by content, not reference).</summary>
    public bool Equals(Candidate? other) => other is not null && Index == other.Index && Label == other.Label;

    public override int GetHashCode() => HashCode.Combine(Index, Label);

    [JsonIgnore] public string Label => string.Join(", ", Settings.Select(s => $"{s.Key}={s.Value}"));
}

/// <summary>
/// The options a search varies and their values: <c>Rank=4,8,16;LearningRate=3e-4,1e-3</c>. The candidates
/// are every combination (the grid), the first dimension varying slowest.
/// </summary>
public sealed record SearchSpace(IReadOnlyList<SearchDimension> Dimensions)
{
    public int Count => Dimensions.Aggregate(1, (product, d) => checked(product * d.Values.Count));

    public IReadOnlyList<Candidate> Candidates()
    {
        var grid = new List<List<KeyValuePair<string, string>>> { new() };
        foreach (var dimension in Dimensions)
            grid = grid.SelectMany(settings => dimension.Values.Select(v => new List<KeyValuePair<string, string>>(settings) { new(dimension.Key, v) })).ToList();
        return grid.Select((settings, i) => new Candidate(i, settings)).ToList();
    }

    /// <summary>The canonical spelling (keys as documented, values canonical): equal spaces print equal text.</summary>
    public override string ToString() => string.Join(";", Dimensions.Select(d => $"{d.Key}={string.Join(",", d.Values)}"));

    public SearchDimension? Dimension(string key) => Dimensions.FirstOrDefault(d => d.Key == key);
}
