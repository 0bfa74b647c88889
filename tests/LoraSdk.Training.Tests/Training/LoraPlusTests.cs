using LoraSdk.Training.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Training.Tests.Training;

/// <summary>
/// LoRA+ (<see cref="TrainerOptions.LoraPlusLrRatio"/>): the parameter groups (PEFT's create_loraplus_optimizer), the
/// step sizes they give, exact resume and the refusal of a ratio that is no rate multiplier.
/// </summary>
[Collection(nameof(TrainerTests))]
public class LoraPlusTests
{
    private static readonly LoraOptions Lora = new(rank: 4, alpha: 8);
    private const int Padding = 256; // the padding id of ToyData.Labelled's byte tokenizer

    /// <summary>One AdamW step of plain (undecayed, unclipped, constant-rate) descent from randomized adapters.</summary>
    private static TrainerOptions OneStep(double ratio) => new()
    {
        MaxSteps = 1, BatchSize = 16, LearningRate = 1e-3, WeightDecay = 0, MaxGradNorm = 0, Decay = LearningRateDecay.Constant,
        LoraPlusLrRatio = ratio, LoraPlusLrEmbedding = 1e-4, ModulesToSave = ["classifier"], Seed = 3,
    };

    private static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
        model.LoraParameters().Select(p => (p.Name, p.Parameter))
            .Concat(model.named_parameters().Where(p => p.name.StartsWith("classifier.", StringComparison.Ordinal)).Select(p => (Name: p.name, Parameter: (Tensor)p.parameter)))
            .ToDictionary(p => p.Name, p => p.Parameter.detach().clone());

    /// <summary>The largest |change| of each tensor: Adam's first step moves an element by lr·|g|/(|g|+ε), so by its rate wherever |g| ≫ ε.</summary>
    private static Dictionary<string, double> LargestSteps(double ratio)
    {
        var model = new TinyEmbeddingClassifier(Lora);
        model.RandomizeAdapters(seed: 8);
        var before = Snapshot(model);
        new LoraTrainer(model, OneStep(ratio)).Train(ToyData.Labelled(16, 1), null, Padding);
        var after = Snapshot(model);
        return before.ToDictionary(p => p.Key, p => (after[p.Key].to(float64) - p.Value.to(float64)).abs().max().item<double>());
    }

    [Fact]
    public void TheFirstStepMovesBByRatioTimesTheRateOfA()
    {
        var steps = LargestSteps(ratio: 16);
        void Moved(string name, double rate) =>
            Assert.True(Math.Abs(steps[name] - rate) <= 2e-3 * rate, $"{name} moved by {steps[name]:R}, its rate is {rate:R}");

        Moved("hidden.lora_A.weight", 1e-3);
        Moved("hidden.lora_B.weight", 16e-3);
        Moved("classifier.weight", 1e-3);             // a full matrix: the base rate, as PEFT's groupA
        Moved("classifier.bias", 16e-3);              // PEFT puts every 1-D tensor beside lora_B
        Moved("embed.lora_embedding_A", 1e-4);        // an Embedding layer's adapter: LoraPlusLrEmbedding, A and B alike
        Moved("embed.lora_embedding_B", 1e-4);
        Assert.True(Math.Abs(steps["hidden.lora_B.weight"] / steps["hidden.lora_A.weight"] - 16) < 0.05);
    }

    [Fact]
    public void RatioOneMovesEveryTensorByTheRate()
    {
        var steps = LargestSteps(ratio: 1);
        foreach (var (name, step) in steps)
            Assert.True(Math.Abs(step - 1e-3) <= 2e-3 * 1e-3, $"{name} moved by {step:R}, the rate is 1e-3"); // LoraPlusLrEmbedding unused
    }

    [Fact]
    public void RatioOneGroupsAsThePlainTrainerAndLoraPlusAsPeft()
    {
        var model = new TinyEmbeddingClassifier(Lora);
        model.FreezeBase(["classifier"]);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        IntPtr[] Handles(params string[] suffixes) => // in the model's order, as the groups keep it
            trainable.Where(t => suffixes.Any(suffix => t.name.EndsWith(suffix, StringComparison.Ordinal))).Select(t => t.parameter.Handle).ToArray();
        IntPtr[] Members(ParameterGroups.Group g) => g.Parameters.Select(p => p.Handle).ToArray();

        var plain = ParameterGroups.Of(model, trainable, new TrainerOptions());
        // The trainer's former optimizer: matrices with decay, then 1-D tensors and biases without, in model order.
        Assert.Equal([(ParameterGroups.Rate.Base, true), (ParameterGroups.Rate.Base, false)], plain.Select(g => (g.Rate, g.Decayed)));
        Assert.Equal(trainable.Where(t => t.parameter.dim() >= 2).Select(t => t.parameter.Handle), plain[0].Parameters.Select(p => p.Handle));
        Assert.Equal(trainable.Where(t => t.parameter.dim() < 2).Select(t => t.parameter.Handle), plain[1].Parameters.Select(p => p.Handle));

        var loraPlus = ParameterGroups.Of(model, trainable, new TrainerOptions { LoraPlusLrRatio = 16 });
        Assert.Equal(
            [(ParameterGroups.Rate.Base, true), (ParameterGroups.Rate.Embedding, true), (ParameterGroups.Rate.LoraB, true), (ParameterGroups.Rate.LoraB, false)],
            loraPlus.Select(g => (g.Rate, g.Decayed)));
        Assert.Equal(Handles("lora_A.weight", "classifier.weight"), Members(loraPlus[0]));
        Assert.Equal(Handles("lora_embedding_A", "lora_embedding_B"), Members(loraPlus[1]));
        Assert.Equal(Handles("lora_B.weight"), Members(loraPlus[2]));
        Assert.Equal(Handles("classifier.bias"), Members(loraPlus[3]));
        var rates = new TrainerOptions { LoraPlusLrRatio = 16, LearningRate = 1e-3, LoraPlusLrEmbedding = 2e-6 };
        Assert.Equal([1e-3, 2e-6, 16 * 1e-3, 16 * 1e-3], loraPlus.Select(g => g.PeakRate(rates)));
    }

    [Fact]
    public void StoppingAtKAndResumingEqualsTheUninterruptedRun()
    {
        const int k = 4;
        var options = new TrainerOptions
        {
            MaxSteps = 2 * k, BatchSize = 4, GradientAccumulationSteps = 2, LearningRate = 1e-2, WarmupSteps = 2, EvalEvery = 3, LogEvery = 1,
            LoraPlusLrRatio = 16, LoraPlusLrEmbedding = 1e-3, ModulesToSave = ["classifier"], Seed = 5,
        };
        using var straightFolder = new TempFolder();
        using var resumedFolder = new TempFolder();
        var straight = new TinyEmbeddingClassifier(Lora);
        straight.RandomizeAdapters(seed: 2);
        var straightResult = new LoraTrainer(straight, options with { CheckpointDirectory = straightFolder.Path })
            .Train(ToyData.Labelled(32, 1), ToyData.Labelled(8, 2), Padding);

        using var cancel = new CancellationTokenSource();
        var firstPart = new TinyEmbeddingClassifier(Lora);
        firstPart.RandomizeAdapters(seed: 2);
        var stopped = new LoraTrainer(firstPart, options with { CheckpointDirectory = resumedFolder.Path })
            .Train(ToyData.Labelled(32, 1), ToyData.Labelled(8, 2), Padding, new CancelAt(k, cancel), cancel.Token);
        Assert.Equal((TrainingOutcome.Cancelled, k), (stopped.Outcome, stopped.Steps));

        var resumed = new TinyEmbeddingClassifier(Lora); // a fresh process: adapters re-initialised, the checkpoint restores them
        int? resumedAt = null;
        var resumedResult = new LoraTrainer(resumed, options with { CheckpointDirectory = resumedFolder.Path })
            .Train(ToyData.Labelled(32, 1), ToyData.Labelled(8, 2), Padding, new Observer { Resumed = s => resumedAt = s });

        Assert.Equal(k, resumedAt);
        var expected = Snapshot(straight);
        var actual = Snapshot(resumed);
        foreach (var (name, tensor) in expected)
            Assert.True(tensor.data<float>().ToArray().SequenceEqual(actual[name].data<float>().ToArray()), $"'{name}' differs");
        Assert.Equal(straightResult.History, resumedResult.History);
        Assert.Equal(straightResult.ValidationLoss, resumedResult.ValidationLoss);
    }

    [Fact]
    public void ACheckpointOfAnotherRatioIsIgnoredAndTrainingStartsOver()
    {
        var options = new TrainerOptions { MaxSteps = 4, BatchSize = 4, LogEvery = 1, ModulesToSave = ["classifier"], Seed = 5 };
        using var folder = new TempFolder();
        using var cancel = new CancellationTokenSource();
        new LoraTrainer(new TinyEmbeddingClassifier(Lora), options with { CheckpointDirectory = folder.Path })
            .Train(ToyData.Labelled(32, 1), null, Padding, new CancelAt(2, cancel), cancel.Token);

        string? reason = null;
        int? resumedAt = null;
        var result = new LoraTrainer(new TinyEmbeddingClassifier(Lora), options with { CheckpointDirectory = folder.Path, LoraPlusLrRatio = 16 })
            .Train(ToyData.Labelled(32, 1), null, Padding, new Observer { Ignored = r => reason = r, Resumed = s => resumedAt = s });

        Assert.Equal("it was written with LoraPlusLrRatio = 1, this run uses 16", reason);
        Assert.Null(resumedAt);
        Assert.Equal(4, result.Steps);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-2.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ARatioThatIsNoPositiveNumberIsRefused(double ratio)
    {
        var error = Assert.Throws<ArgumentException>(() => new LoraTrainer(new TinyEmbeddingClassifier(Lora), new TrainerOptions { LoraPlusLrRatio = ratio }));
        Assert.StartsWith($"LoraPlusLrRatio = {ratio} must be a positive number (1 is plain LoRA).", error.Message);
        error = Assert.Throws<ArgumentException>(() => new LoraTrainer(new TinyEmbeddingClassifier(Lora), new TrainerOptions { LoraPlusLrEmbedding = ratio }));
        Assert.StartsWith($"LoraPlusLrEmbedding = {ratio} must be a positive number.", error.Message);
    }

    private sealed class CancelAt(int step, CancellationTokenSource source) : ITrainingObserver
    {
        public void OnStep(StepProgress progress)
        {
            if (progress.Step == step) source.Cancel();
        }
    }

    private sealed class Observer : ITrainingObserver
    {
        public Action<int>? Resumed { get; init; }
        public Action<string>? Ignored { get; init; }
        public void OnResumed(int step, string directory) => Resumed?.Invoke(step);
        public void OnCheckpointIgnored(string directory, string reason) => Ignored?.Invoke(reason);
    }
}
