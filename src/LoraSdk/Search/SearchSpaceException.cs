namespace LoraSdk.Search;

/// <summary>A search space that cannot be read: the message names the key and value at fault.</summary>
internal sealed class SearchSpaceException(string message) : FormatException(message);
