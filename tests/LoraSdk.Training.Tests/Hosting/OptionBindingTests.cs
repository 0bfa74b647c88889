using LoraSdk.Hosting;
using Microsoft.Extensions.Configuration;
using LoraSdk.Training.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LoraSdk.Training.Tests.Hosting;

/// <summary>
/// The flat <c>LoRA</c> section fills three types, each key in exactly one: the adapter keys an override
/// (null unless set), the optimisation keys a <see cref="TrainerOptions"/>, the data and output keys the options.
/// </summary>
public class OptionBindingTests
{
    /// <summary>The options <c>AddLoraFineTuning</c> binds from <paramref name="args"/> alone (no appsettings.json, no environment).</summary>
    private static LoraFineTuningOptions Bind(params string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args);
        builder.Services.AddLoraFineTuning(context => new TinyCausalLm(context.Lora));
        builder.Services.RemoveAll<IValidateOptions<LoraFineTuningOptions>>(); // binding only: no Dataset needed
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<LoraFineTuningOptions>>().Value;
    }

    [Fact]
    public void EachKeyLandsInTheTypeThatDefinesIt()
    {
        var options = Bind("--LoRA:Rank=16", "--LoRA:Init=PiSSA", "--LoRA:UseDoRA=true", "--LoRA:Epochs=3", "--LoRA:LearningRate=0.0005", "--LoRA:Beta2=0.99", "--LoRA:LoraPlusLrRatio=16",
            "--LoRA:ModulesToSave:0=classifier", "--LoRA:Resume=false", "--LoRA:MaxLength=64", "--LoRA:Output=out/adapter");

        Assert.Equal(new LoraOptionsOverride { Rank = 16, Init = LoraInit.PiSSA, UseDoRA = true }, options.Adapter);
        Assert.True(options.ToLoraOptions().UseDoRA);
        Assert.Equal(new TrainerOptions { Epochs = 3, LearningRate = 5e-4, Beta2 = 0.99, LoraPlusLrRatio = 16, Resume = false }, options.Trainer with { ModulesToSave = [] });
        Assert.Equal(["classifier"], options.Trainer.ModulesToSave);
        Assert.Equal(64, options.MaxLength);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "out", "adapter"), options.Output);
    }

    [Fact]
    public void UnsetAdapterKeysStayUnsetAndTheHostDefaultsFillTheContext()
    {
        var options = Bind("--LoRA:Rank=4");

        Assert.Equal(new LoraOptionsOverride { Rank = 4 }, options.Adapter); // alpha not set: a [LoRA] class keeps its own
        Assert.Equal(new LoraOptions(rank: 4, alpha: 4), options.ToLoraOptions()); // hand-written models: alpha = rank
        Assert.Equal(new LoraOptions(rank: 8, alpha: 8), Bind().ToLoraOptions());
        Assert.True(Bind().Adapter.IsEmpty);
        Assert.Equal(new TrainerOptions() with { CheckpointDirectory = null }, Bind().Trainer);
    }

    [Fact]
    public void TheCheckpointFolderDefaultsBesideTheOutput()
    {
        var options = Bind("--LoRA:Output=run/adapter");
        Assert.Null(options.Trainer.CheckpointDirectory);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "run", "adapter.checkpoints"), options.ToTrainerOptions().CheckpointDirectory);

        var chosen = Bind("--LoRA:Output=run/adapter", "--LoRA:CheckpointDirectory=ckpt");
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "ckpt"), chosen.ToTrainerOptions().CheckpointDirectory);
    }

    [Fact]
    public void EachPartsRulesNameTheKeyAndNestedPartsAreNotKeys()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LoRA:Rank"] = "0", ["LoRA:Alpha"] = "-1", ["LoRA:Dropout"] = "1", ["LoRA:WarmupSteps"] = "-2", ["LoRA:Trainer:Epochs"] = "3",
        }).Build();
        var options = new LoraFineTuningOptions
        {
            Adapter = new() { Rank = 0, Alpha = -1, Dropout = 1 },
            Trainer = new() { WarmupSteps = -2 },
            Dataset = typeof(OptionBindingTests).Assembly.Location,
            Output = Path.Combine(Path.GetTempPath(), "lora-binding-tests", Guid.NewGuid().ToString("N")),
        };

        var failures = new LoraFineTuningOptionsValidator(configuration, []).Validate(null, options).Failures!.ToList();

        Assert.Contains("LoRA:Rank = 0: must be greater than 0.", failures);
        Assert.Contains("LoRA:Alpha = -1: must be a finite number greater than 0.", failures);
        Assert.Contains("LoRA:Dropout = 1: must be in [0, 1).", failures);
        Assert.Contains("LoRA:WarmupSteps = -2: must not be negative.", failures);
        Assert.Contains(failures, f => f.StartsWith("LoRA:Trainer = (section): unknown option", StringComparison.Ordinal));
        Assert.Equal(5, failures.Count);
    }

    [Fact]
    public void AVariantIsOneWithAway()
    {
        var options = Bind("--LoRA:LearningRate=0.001");
        var variant = options with { Trainer = options.Trainer with { LearningRate = 3e-4 }, Adapter = options.Adapter with { Rank = 32 } };

        Assert.Equal(1e-3, options.Trainer.LearningRate);
        Assert.Null(options.Adapter.Rank);
        Assert.Equal((3e-4, 32), (variant.Trainer.LearningRate, variant.Adapter.Rank));
    }
}
