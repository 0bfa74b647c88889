using LoraSdk.Generated.Tests.Models;
using static LoraSdk.Generated.Tests.TestTensors;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests;

/// <summary>SaveAdapter/LoadAdapter through generated models: the PEFT folder reproduces the trained adapter.</summary>
public sealed class AdapterRoundTripTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "lora-generated-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Saved_adapter_loads_into_a_fresh_model_and_reproduces_its_output()
    {
        manual_seed(21);
        using var trained = new Encoder(8, 2);
        trained.eval();
        RandomizeLora(trained, seed: 22);
        trained.SaveAdapter(_directory);

        manual_seed(21);   // same base weights, fresh (zero-B) adapters
        using var fresh = new Encoder(8, 2);
        fresh.eval();
        using var x = randn(2, 3, 8);
        using var before = fresh.call(x);
        using var expected = trained.call(x);
        Assert.True(RelativeError(before, expected) > 1e-3, "the fresh model must differ before loading");

        fresh.LoadAdapter(_directory);

        using var actual = fresh.call(x);
        Assert.True(RelativeError(actual, expected) < 1e-6, $"relative error {RelativeError(actual, expected)}");
        var savedNames = trained.LoraParameters().Select(p => p.Name).ToList();
        Assert.Equal(savedNames, fresh.LoraParameters().Select(p => p.Name));

        // The per-field override (output: rank 4) travels as PEFT's rank_pattern.
        var config = AdapterConfig.Read(Path.Combine(_directory, AdapterConfig.FileName));
        Assert.Equal(8, config.R);
        Assert.Equal(16, config.LoraAlpha);
        Assert.Equal(["key", "output", "query", "value"], config.TargetModules.Order());
        Assert.Contains(config.RankPattern, p => p.Value == 4);
    }
}
