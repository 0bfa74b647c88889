using Xunit;

namespace LoraSdk.Models.Tests;

/// <summary>
/// Tests that depend on the draws of torch's global generator (dropout masks, the trainer's seeded run) run alone:
/// test classes in parallel would draw from the same generator in between and change what they see.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRandomCollection
{
    public const string Name = "Global random generator";
}
