namespace LoraSdk.Serving;

/// <summary>A request the server refuses; <see cref="StatusCode"/> is the HTTP status it maps to.</summary>
public class ServingRequestException(int statusCode, string message, string? field = null) : Exception(message)
{
    /// <summary>The HTTP status code: 400 bad input, 404 unknown adapter, 422 unusable adapter, 429/503 overloaded or stopping.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>The request field at fault (JSON name), if any.</summary>
    public string? Field { get; } = field;

    /// <summary>400: <paramref name="field"/> is malformed or too large.</summary>
    public static ServingRequestException BadField(string field, string problem) => new(400, $"Field '{field}': {problem}", field);
}

/// <summary>No adapter folder of that name (404).</summary>
public sealed class AdapterNotFoundException(string name)
    : ServingRequestException(404, $"No adapter named '{name}' in the adapter store.", "model")
{
    /// <summary>The name that was asked for.</summary>
    public string AdapterName { get; } = name;
}

/// <summary>The adapter folder exists but does not load (corrupt, incompatible); carries the loader's message (422).</summary>
public sealed class AdapterUnusableException(string name, string loaderMessage)
    : ServingRequestException(422, $"Adapter '{name}' cannot be loaded: {loaderMessage}")
{
    /// <summary>The adapter's name.</summary>
    public string AdapterName { get; } = name;
}

/// <summary>The queue is full (429) or the server is draining for shutdown (503).</summary>
public sealed class ServerBusyException(bool stopping)
    : ServingRequestException(stopping ? 503 : 429, stopping ? "The server is shutting down; retry on another instance." : "The request queue is full; retry later.");
