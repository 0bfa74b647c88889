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

[CollectionDefinition(Name)]
public sealed class ResNetCollection : ICollectionFixture<ResNetFixture>
{
    public const string Name = "ResNet-18";
}
