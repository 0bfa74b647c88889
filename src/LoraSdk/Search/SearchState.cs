using System.Text.Json;

namespace LoraSdk.Search;

/// <summary>
/// The finished trials of a search, saved after each one (<c>&lt;Output&gt;.search/state.json</c>, written to a
/// temporary file and renamed), so a search stopped by Ctrl+C resumes without rerunning them. The fingerprint
/// covers everything a result depends on (program, data, configuration, search space, budget): a state with
/// another fingerprint is discarded, never mixed in.
/// </summary>
public sealed class SearchState
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly object _gate = new();
    private readonly string? _path;
    private readonly List<TrialRecord> _trials;

    private SearchState(string? path, string fingerprint, List<TrialRecord> trials)
    {
        _path = path;
        Fingerprint = fingerprint;
        _trials = trials;
    }

    public string Fingerprint { get; }

    public IReadOnlyList<TrialRecord> Trials
    {
        get { lock (_gate) return _trials.ToList(); }
    }

    /// <summary>A state kept only in memory (tests, or a search that needs no resume).</summary>
    public static SearchState InMemory(string fingerprint = "") => new(null, fingerprint, []);

    /// <summary>
    /// The saved state at <paramref name="path"/> when its fingerprint matches, else a fresh one;
    /// <paramref name="discarded"/> says why a saved state was not used (null when there was none or it was).
    /// </summary>
    public static SearchState Open(string path, string fingerprint, out string? discarded)
    {
        discarded = null;
        if (!File.Exists(path)) return new SearchState(path, fingerprint, []);
        try
        {
            var saved = JsonSerializer.Deserialize<Saved>(File.ReadAllText(path), Json);
            if (saved?.Trials is null) discarded = "the state file is empty";
            else if (saved.Fingerprint != fingerprint) discarded = "the program, data, configuration or search space changed";
            else return new SearchState(path, fingerprint, saved.Trials.ToList());
        }
        catch (JsonException e)
        {
            discarded = $"the state file is damaged ({e.Message})";
        }
        return new SearchState(path, fingerprint, []);
    }

    public TrialRecord? Find(string key)
    {
        lock (_gate) return _trials.LastOrDefault(t => t.Request.Key == key);
    }

    public void Add(TrialRecord record)
    {
        lock (_gate)
        {
            _trials.RemoveAll(t => t.Request.Key == record.Request.Key);
            _trials.Add(record);
            if (_path is null) return;
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            string temp = _path + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(new Saved(Fingerprint, _trials), Json));
            File.Move(temp, _path, overwrite: true);
        }
    }

    private sealed record Saved(string Fingerprint, IReadOnlyList<TrialRecord> Trials);
}
