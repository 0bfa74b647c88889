using LoraSdk.Files;
using System.Text.Json;

namespace LoraSdk.Search;

/// <summary>
/// The finished trials of a search, saved after each one (<c>&lt;Output&gt;.search/state.json</c>, written to a
/// temporary file and renamed), so a search stopped by Ctrl+C resumes without rerunning them. The fingerprint
/// covers everything a result depends on (program, data, configuration, search space, budget): a state with
/// another fingerprint is discarded, never mixed in.
/// </summary>
internal sealed class SearchState
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

    /// <summary>What the saved results depend on; a state with another fingerprint is not reused.</summary>
    public string Fingerprint { get; }

    /// <summary>The finished trials, in the order they were saved (a copy).</summary>
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
    public static SearchState Open(string path, string fingerprint, out string? discarded) => Open(path, fingerprint, out discarded, out _);

    /// <summary>
    /// <see cref="Open(string, string, out string?)"/>, telling whether the saved state was <paramref name="damaged"/>
    /// (unreadable, not valid JSON, or a folder in its place): then it is moved aside to
    /// <c>state.json.damaged-&lt;UTC time&gt;</c>, kept for inspection, and <paramref name="discarded"/> says where;
    /// left in place, it would fail every later run.
    /// </summary>
    public static SearchState Open(string path, string fingerprint, out string? discarded, out bool damaged)
    {
        discarded = null;
        damaged = false;
        string? problem = null;
        if (Directory.Exists(path)) problem = $"{path} is a folder, not the search state";
        else if (!File.Exists(path)) return new SearchState(path, fingerprint, []);
        else
        {
            try
            {
                var saved = JsonSerializer.Deserialize<Saved>(File.ReadAllText(path), Json);
                if (saved?.Trials is null) problem = $"{path} is damaged (it holds no trials)";
                else if (saved.Fingerprint != fingerprint) discarded = "the program, data, configuration or search space changed";
                else return new SearchState(path, fingerprint, saved.Trials.ToList());
            }
            catch (JsonException e)
            {
                problem = $"{path} is damaged ({Data.JsonErrorText.WithoutPosition(e.Message)})";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problem = $"{path} cannot be read ({e.Message})";
            }
        }
        if (problem is not null)
        {
            damaged = true;
            discarded = MoveAside(path, problem);
        }
        return new SearchState(path, fingerprint, []);
    }

    /// <summary>Moves the damaged state out of the way, so that the next save can write its own; the problem and where it went.</summary>
    private static string MoveAside(string path, string problem)
    {
        string aside = $"{path}.damaged-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        try
        {
            if (Directory.Exists(path)) Directory.Move(path, aside);
            else File.Move(path, aside);
            return $"{problem}; it was moved to {aside}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{problem}; it could not be moved aside ({e.Message})";
        }
    }

    /// <summary>The saved trial with <see cref="TrialRequest.Key"/> <paramref name="key"/>, or null.</summary>
    public TrialRecord? Find(string key)
    {
        lock (_gate) return _trials.LastOrDefault(t => t.Request.Key == key);
    }

    /// <summary>Records a finished trial (replacing one with the same key) and saves the state file at once.</summary>
    public void Add(TrialRecord record)
    {
        lock (_gate)
        {
            _trials.RemoveAll(t => t.Request.Key == record.Request.Key);
            _trials.Add(record);
            if (_path is null) return;
            AtomicFile.WriteAllText(_path, JsonSerializer.Serialize(new Saved(Fingerprint, _trials), Json));
        }
    }

    private sealed record Saved(string Fingerprint, IReadOnlyList<TrialRecord> Trials);
}
