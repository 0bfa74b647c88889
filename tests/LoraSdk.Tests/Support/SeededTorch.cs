namespace LoraSdk.Tests.Support;

/// <summary>
/// Tests that draw from torch's global random generator run one at a time and never alongside other test
/// collections (which would draw from the same generator between a <c>torch.manual_seed</c> and its use),
/// so a fixed seed gives the same numbers on every run.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SeededTorch
{
    public const string Name = "Seeded torch";
}
