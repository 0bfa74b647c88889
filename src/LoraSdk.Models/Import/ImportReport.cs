namespace LoraSdk.Models;

/// <summary>What an import did: how many parameters it wrote and which file entries it did not use.</summary>
public sealed record ImportReport(string Source, int ParametersLoaded, IReadOnlyList<string> IgnoredEntries);
