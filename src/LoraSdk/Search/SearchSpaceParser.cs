namespace LoraSdk.Search;

/// <summary>
/// Reads the search grammar: <c>Key=value,value,...</c> parts separated by <c>;</c>, keys being <c>LoRA</c>
/// options (<see cref="SearchableOption.All"/>, any case), e.g. <c>Rank=4,8,16;LearningRate=3e-4,1e-3</c>.
/// Every mistake is a <see cref="SearchSpaceException"/> naming the key and the value.
/// </summary>
internal static class SearchSpaceParser
{
    /// <summary>Parses <paramref name="text"/>; throws <see cref="SearchSpaceException"/> naming the key and value at fault.</summary>
    public static SearchSpace Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new SearchSpaceException("the search space is empty; write Key=value,value;... e.g. Rank=4,8;LearningRate=3e-4,1e-3.");
        var dimensions = new List<SearchDimension>();
        foreach (string rawPart in text.Split(';'))
        {
            string part = rawPart.Trim();
            if (part.Length == 0) continue; // a trailing ';'
            int equals = part.IndexOf('=');
            if (equals < 0) throw new SearchSpaceException($"'{part}' is not Key=value,value,... (no '=').");
            string key = part[..equals].Trim();
            if (key.Length == 0) throw new SearchSpaceException($"'{part}' has no key before '='.");
            if (SearchableOption.Refused.TryGetValue(key, out string? reason)) throw new SearchSpaceException($"{key} cannot be searched: {reason}.");
            var option = SearchableOption.Find(key)
                ?? throw new SearchSpaceException($"unknown key '{key}' (searchable: {string.Join(", ", SearchableOption.All.Select(o => o.Key))}).");
            if (dimensions.Any(d => d.Key == option.Key)) throw new SearchSpaceException($"{option.Key} is listed twice.");

            var values = new List<string>();
            foreach (string rawValue in part[(equals + 1)..].Split(','))
            {
                string value = rawValue.Trim();
                if (value.Length == 0) throw new SearchSpaceException($"{option.Key} has an empty value in '{part}'.");
                if (option.Check(value) is { } problem) throw new SearchSpaceException($"{option.Key} value '{value}' {problem}.");
                string canonical = option.Canonical(value);
                if (values.Contains(canonical)) throw new SearchSpaceException($"{option.Key} lists {value} twice.");
                values.Add(canonical);
            }
            dimensions.Add(new SearchDimension(option.Key, values));
        }
        if (dimensions.Count == 0) throw new SearchSpaceException("the search space is empty; write Key=value,value;... e.g. Rank=4,8;LearningRate=3e-4,1e-3.");
        return new SearchSpace(dimensions);
    }
}
