namespace LoraSdk.Tests.Support;

/// <summary>
/// Tests that draw from torch's global random generator run one at a time (this collection), so a fixed
/// <c>torch.manual_seed</c> gives the same numbers on every run.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SeededTorch
{
    public const string Name = "Seeded torch";
}
