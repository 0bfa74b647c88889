using LoraSdk.Data;
using LoraSdk.Training.Tests.Models;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Training.Tests.Training;

/// <summary>
/// The trainer trains what an adapter file holds (adapters + ModulesToSave); a layer that is trainable but in
/// neither is named in a warning when training starts and stays frozen.
/// </summary>
[Collection(nameof(TrainerTests))] // not alongside other seeded training: they share torch's global generator
public class FreezingWarningTests
{
    private static TrainerOptions Options(params string[] modulesToSave) =>
        new() { MaxSteps = 3, BatchSize = 8, LearningRate = 2e-2, ModulesToSave = modulesToSave, Seed = 3 };

    [Fact]
    public void A_trainable_layer_outside_adapters_and_ModulesToSave_is_named_and_stays_frozen()
    {
        var model = new TinyClassifier(new LoraOptions(4, 8), labels: 2);
        using var embeddingBefore = model.get_parameter("embed.weight")!.detach().clone();
        using var classifierBefore = model.get_parameter("classifier.weight")!.detach().clone();
        var logger = new RecordingLogger();

        var trainer = new LoraTrainer(model, Options("classifier"), logger: logger);
        var result = trainer.Train(ToyData.Labelled(16, seed: 5), null, ByteTokenizer.Padding);

        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("'embed'", warning.Message);
        Assert.DoesNotContain("'classifier'", warning.Message);
        Assert.DoesNotContain("hidden", warning.Message);
        Assert.Contains("ModulesToSave", warning.Message);
        Assert.True(model.get_parameter("embed.weight")!.eq(embeddingBefore).all().item<bool>(), "the frozen embedding was trained");
        Assert.False(model.get_parameter("classifier.weight")!.eq(classifierBefore).all().item<bool>(), "ModulesToSave was not trained");
        long classifier = 16 * 2 + 2, lora = 4 * (16 + 16);
        Assert.Equal(classifier + lora, result.Parameters.Trainable);
    }

    [Fact]
    public void Nothing_is_reported_when_only_adapters_and_ModulesToSave_are_trainable()
    {
        var model = new TinyClassifier(new LoraOptions(4, 8), labels: 2);
        model.FreezeBase("classifier");
        var logger = new RecordingLogger();

        new LoraTrainer(model, Options("classifier"), logger: logger).Train(ToyData.Labelled(16, seed: 5), null, ByteTokenizer.Padding);

        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
