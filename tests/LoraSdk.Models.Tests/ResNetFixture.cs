using LoraSdk.Models;

namespace LoraSdk.Models.Tests;

/// <summary>The package's pretrained ResNet-18 (imported once per test run) and its preprocessing.</summary>
public sealed class ResNetFixture : IDisposable
{
    public ResNetFixture()
    {
        Model = ResNet18Package.Load(labelCount: 10);
        Preprocessing = ResNet18Package.LoadPreprocessing();
    }

    public ResNet18 Model { get; }

    public ResNetPreprocessing Preprocessing { get; }

    public void Dispose()
    {
        Model.Dispose();
        Preprocessing.Dispose();
    }
}

/// <summary>
/// Runs alone, not beside other test classes: measured here, a ResNet backward running while other classes ran
/// TorchSharp on other threads sometimes gave NaN gradients in the early layers (docs/models.md).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ResNetCollection : ICollectionFixture<ResNetFixture>
{
    public const string Name = "ResNet-18";
}
