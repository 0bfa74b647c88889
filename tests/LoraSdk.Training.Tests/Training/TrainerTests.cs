using LoraSdk.Data;
using LoraSdk.Training.Tests.Models;
using LoraSdk.Training.TestHost;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Training.Tests.Training;

/// <summary>Shares one collection with <see cref="FreezingWarningTests"/>: both seed and draw from torch's global generator.</summary>
[Collection(nameof(TrainerTests))]
public class TrainerTests
{
    private static readonly LoraOptions Lora = new(rank: 4, alpha: 8, dropout: 0.1);

    private static TrainerOptions Options(int steps, string? checkpoints = null) => new()
    {
        MaxSteps = steps,
        BatchSize = 4,
        GradientAccumulationSteps = 2,
        LearningRate = 1e-2,
        WarmupSteps = 2,
        LogEvery = 1,
        EvalEvery = 2,
        CheckpointDirectory = checkpoints,
        Seed = 7,
    };

    private static Dictionary<string, Tensor> Trainable(nn.Module model) =>
        model.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter.detach().clone());

    private static void AssertIdentical(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
            Assert.True(BitEqual(tensor, actual[name]), $"'{name}' differs");
    }

    private static bool BitEqual(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.data<float>().ToArray().SequenceEqual(b.data<float>().ToArray());

    [Fact]
    public void LossGoesDownAndOnlyLoraParametersChange()
    {
        var model = new TinyCausalLm(Lora);
        var frozenBefore = model.named_parameters().Where(p => !p.name.Contains("_lora")).ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var losses = new List<double>();
        var result = new LoraTrainer(model, Options(30) with { EvalEvery = 0 }).Train(ToyData.Text(), null, ByteTokenizer.Padding, new Recorder(losses));

        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        Assert.Equal(30, result.Steps);
        Assert.True(losses.Skip(25).Average() < 0.8 * losses.Take(3).Average(), $"loss {losses[0]:F3} -> {losses[^1]:F3}");
        foreach (var (name, before) in frozenBefore)
            Assert.True(BitEqual(before, model.named_parameters().First(p => p.name == name).parameter), $"frozen '{name}' changed");
        Assert.True(model.LoraParameters().Single(p => p.Name == "head.lora_B.weight").Parameter.abs().sum().item<float>() > 0);
        Assert.Equal(4L * (16 + 16) * 1 + 4L * (16 + 258), result.Parameters.Trainable);
    }

    [Fact]
    public void SameSeedAndDataGiveBitIdenticalParameters()
    {
        var first = new TinyCausalLm(Lora);
        var second = new TinyCausalLm(Lora);
        new LoraTrainer(first, Options(8)).Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding);
        new LoraTrainer(second, Options(8)).Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding);
        AssertIdentical(Trainable(first), Trainable(second));

        var otherSeed = new TinyCausalLm(Lora);
        new LoraTrainer(otherSeed, Options(8) with { Seed = 8 }).Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding);
        Assert.False(BitEqual(Trainable(first)["head_lora.lora_B.weight"], Trainable(otherSeed)["head_lora.lora_B.weight"]));
    }

    [Fact]
    public void StoppingAtKAndResumingEqualsTheUninterruptedRun()
    {
        const int k = 5;
        using var straightFolder = new TempFolder();
        using var resumedFolder = new TempFolder();
        var straight = new TinyCausalLm(Lora);
        var straightResult = new LoraTrainer(straight, Options(2 * k, straightFolder.Path)).Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding);

        using var cancel = new CancellationTokenSource();
        var firstHalf = new TinyCausalLm(Lora);
        var stopped = new LoraTrainer(firstHalf, Options(2 * k, resumedFolder.Path))
            .Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding, new CancelAt(k, cancel), cancel.Token);
        Assert.Equal((TrainingOutcome.Cancelled, k), (stopped.Outcome, stopped.Steps));

        var resumed = new TinyCausalLm(Lora); // fresh process state: base rebuilt, adapters re-initialised
        int? resumedAt = null;
        var resumedResult = new LoraTrainer(resumed, Options(2 * k, resumedFolder.Path))
            .Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding, new OnResume(step => resumedAt = step));

        Assert.Equal(k, resumedAt);
        Assert.Equal(2 * k, resumedResult.Steps);
        AssertIdentical(Trainable(straight), Trainable(resumed));
        Assert.Equal(straightResult.TrainLoss, resumedResult.TrainLoss);
        Assert.Equal(straightResult.ValidationLoss, resumedResult.ValidationLoss);
        Assert.Equal(straightResult.History, resumedResult.History);
    }

    [Fact]
    public void PausingAndContinuingEqualsTheUninterruptedRun()
    {
        // Pauses at 3 (between evaluations, which run every 2 steps) and 7: the pauses' measurements must not count
        // as evaluations, and each continuation must pick up the checkpoint, not start over.
        using var straightFolder = new TempFolder();
        using var pausedFolder = new TempFolder();
        var straight = new TinyCausalLm(Lora);
        var straightResult = new LoraTrainer(straight, Options(10, straightFolder.Path)).Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding);

        var resumedAt = new List<int>();
        TrainingResult? last = null;
        TinyCausalLm? model = null;
        foreach (int pause in new[] { 3, 7, 0 })
        {
            model = new TinyCausalLm(Lora); // a new process each time: base rebuilt, adapters re-initialised
            last = new LoraTrainer(model, Options(10, pausedFolder.Path) with { PauseAtStep = pause })
                .Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding, new OnResume(resumedAt.Add));
            if (pause > 0)
            {
                Assert.Equal((TrainingOutcome.Paused, pause, 10), (last.Outcome, last.Steps, last.TotalSteps));
                Assert.NotNull(last.ValidationLoss); // the parameters at the pause, measured
            }
        }

        Assert.Equal([3, 7], resumedAt);
        Assert.Equal(TrainingOutcome.Completed, last!.Outcome);
        AssertIdentical(Trainable(straight), Trainable(model!));
        Assert.Equal(straightResult.TrainLoss, last.TrainLoss);
        Assert.Equal(straightResult.ValidationLoss, last.ValidationLoss);
        Assert.Equal(straightResult.History, last.History);
    }

    [Fact]
    public void APausedRunFollowsTheFullRunsScheduleAndMeasuresItsCurrentParameters()
    {
        var rates = new List<double>();
        var paused = new TinyCausalLm(Lora);
        var result = new LoraTrainer(paused, Options(10) with { PauseAtStep = 4, LogEvery = 1 })
            .Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding, new Rates(rates));
        Assert.Equal(Enumerable.Range(0, 4).Select(step => LearningRateSchedule.At(step, 10, 2, 1e-2, LearningRateDecay.Cosine)), rates);
        Assert.Equal(TrainingOutcome.Paused, result.Outcome);
        // Not the best evaluation's parameters (KeepBest applies to finished runs only): the current ones.
        using var cancel = new CancellationTokenSource();
        var again = new TinyCausalLm(Lora);
        var straight = new LoraTrainer(again, Options(10)).Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding, new CancelAt(4, cancel), cancel.Token);
        Assert.Equal(4, straight.Steps);
        AssertIdentical(Trainable(again), Trainable(paused));
    }

    [Fact]
    public void ACheckpointPastThePauseStepIsNotResumed()
    {
        using var folder = new TempFolder();
        new LoraTrainer(new TinyCausalLm(Lora), Options(10, folder.Path) with { PauseAtStep = 6 }).Train(ToyData.Text(), null, ByteTokenizer.Padding);
        string? ignored = null;
        var result = new LoraTrainer(new TinyCausalLm(Lora), Options(10, folder.Path) with { PauseAtStep = 3 })
            .Train(ToyData.Text(), null, ByteTokenizer.Padding, new OnIgnored(reason => ignored = reason));
        Assert.Equal((TrainingOutcome.Paused, 3), (result.Outcome, result.Steps));
        Assert.Contains("past this run's PauseAtStep = 3", ignored);
    }

    [Fact]
    public void ACheckpointOfOtherDataIsIgnoredAndTrainingStartsOver()
    {
        using var folder = new TempFolder();
        using var cancel = new CancellationTokenSource();
        new LoraTrainer(new TinyCausalLm(Lora), Options(6, folder.Path))
            .Train(ToyData.Text(3), null, ByteTokenizer.Padding, new CancelAt(3, cancel), cancel.Token);

        var fresh = new TinyCausalLm(Lora);
        new LoraTrainer(fresh, Options(6)).Train(ToyData.Text(), null, ByteTokenizer.Padding);
        var restarted = new TinyCausalLm(Lora);
        string? reason = null;
        new LoraTrainer(restarted, Options(6, folder.Path)).Train(ToyData.Text(), null, ByteTokenizer.Padding, new OnIgnored(r => reason = r));

        Assert.Equal("the training data changed since it was written", reason);
        AssertIdentical(Trainable(fresh), Trainable(restarted));
    }

    [Fact]
    public void ACheckpointWrittenOnAnotherBaseStorageIsIgnored()
    {
        using var folder = new TempFolder();
        using var cancel = new CancellationTokenSource();
        var quantized = new TinyCausalLm(Lora);
        quantized.QuantizeBase(LoraBase.Nf4);
        new LoraTrainer(quantized, Options(6, folder.Path)).Train(ToyData.Text(), null, ByteTokenizer.Padding, new CancelAt(3, cancel), cancel.Token);

        string? reason = null;
        new LoraTrainer(new TinyCausalLm(Lora), Options(6, folder.Path)).Train(ToyData.Text(), null, ByteTokenizer.Padding, new OnIgnored(r => reason = r));
        Assert.Equal("it was written on a Nf4 base, this run's base is float", reason);

        // The same base storage resumes.
        using var again = new TempFolder();
        using var cancelAgain = new CancellationTokenSource();
        var first = new TinyCausalLm(Lora);
        first.QuantizeBase(LoraBase.Int8);
        new LoraTrainer(first, Options(6, again.Path)).Train(ToyData.Text(), null, ByteTokenizer.Padding, new CancelAt(3, cancelAgain), cancelAgain.Token);
        var second = new TinyCausalLm(Lora);
        second.QuantizeBase(LoraBase.Int8);
        int? resumedAt = null;
        var result = new LoraTrainer(second, Options(6, again.Path)).Train(ToyData.Text(), null, ByteTokenizer.Padding, new OnResume(s => resumedAt = s));
        Assert.Equal(3, resumedAt);
        Assert.Equal(6, result.Steps);
    }

    [Fact]
    public void CancellingBeforeTheFirstStepStillWritesACheckpoint()
    {
        using var folder = new TempFolder();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var result = new LoraTrainer(new TinyCausalLm(Lora), Options(4, folder.Path)).Train(ToyData.Text(), null, ByteTokenizer.Padding, null, cancel.Token);
        Assert.Equal((TrainingOutcome.Cancelled, 0), (result.Outcome, result.Steps));
        Assert.True(File.Exists(Path.Combine(folder.Path, "last", "trainer_state.json")));
        Assert.Empty(Directory.GetDirectories(folder.Path, ".*")); // no temporary folders left behind
    }

    [Fact]
    public void EarlyStoppingEndsTheRunAndKeepsTheBestParameters()
    {
        var model = new TinyCausalLm(Lora);
        var evaluations = new List<EvaluationResult>();
        // Any fall smaller than 100 is no improvement, so only the first evaluation is the best one.
        var options = Options(40) with { EarlyStoppingPatience = 2, EarlyStoppingMinDelta = 100 };
        var result = new LoraTrainer(model, options).Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding, new Recorder([], evaluations));

        Assert.Equal(TrainingOutcome.StoppedEarly, result.Outcome);
        Assert.Equal(6, result.Steps); // evaluations at 2 (best), 4 and 6 (two without improvement)
        Assert.Equal([true, false, false], evaluations.Select(e => e.IsBest));
        Assert.Equal(evaluations[0].Loss, result.ValidationLoss!.Value, 5);
    }

    [Fact]
    public void ClassifierLearnsAndReportsBaselineAccuracy()
    {
        var model = new TinyClassifier(new LoraOptions(4, 8), labels: 2);
        var options = new TrainerOptions { Epochs = 6, BatchSize = 8, LearningRate = 2e-2, ModulesToSave = ["classifier"], Seed = 3 };
        var result = new LoraTrainer(model, options).Train(ToyData.Labelled(64, 1), ToyData.Labelled(32, 2), 256);

        Assert.NotNull(result.BaselineValidationAccuracy);
        Assert.True(result.ValidationAccuracy >= 0.9, $"accuracy {result.ValidationAccuracy}");
        Assert.Contains(model.named_parameters(), p => p.name == "classifier.bias" && p.parameter.requires_grad);
        Assert.Contains(model.named_parameters(), p => p.name == "embed.weight" && !p.parameter.requires_grad);
    }

    [Fact]
    public void AModelWithoutAdaptersIsRefused()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new LoraTrainer(new NoAdapters(), new TrainerOptions()).Train(ToyData.Text(), null, 0));
        Assert.Contains("has no LoRA parameters", error.Message);
    }

    [Fact]
    public void InvalidOptionsNameTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => new LoraTrainer(new TinyCausalLm(Lora), new TrainerOptions { BatchSize = 0 }));
        Assert.StartsWith("BatchSize = 0 must be at least 1.", error.Message);
        error = Assert.Throws<ArgumentException>(() => new LoraTrainer(new TinyCausalLm(Lora), new TrainerOptions { ReleaseMemoryEvery = -1 }));
        Assert.StartsWith("ReleaseMemoryEvery = -1 must not be negative.", error.Message);
    }

    [Fact]
    public void ReleasingHeapMemoryAtStepBoundariesChangesNoNumber()
    {
        var trimmedEveryStep = new TinyCausalLm(Lora);
        var neverTrimmed = new TinyCausalLm(Lora);
        new LoraTrainer(trimmedEveryStep, Options(8) with { ReleaseMemoryEvery = 1, GradientAccumulationSteps = 2 }).Train(ToyData.Text(), null, ByteTokenizer.Padding);
        new LoraTrainer(neverTrimmed, Options(8) with { ReleaseMemoryEvery = 0, GradientAccumulationSteps = 2 }).Train(ToyData.Text(), null, ByteTokenizer.Padding);
        AssertIdentical(Trainable(trimmedEveryStep), Trainable(neverTrimmed));
    }

    private sealed class Recorder(List<double> losses, List<EvaluationResult>? evaluations = null) : ITrainingObserver
    {
        public void OnStep(StepProgress progress) => losses.Add(progress.Loss);

        public void OnEvaluation(EvaluationResult evaluation) => evaluations?.Add(evaluation);
    }

    private sealed class CancelAt(int step, CancellationTokenSource source) : ITrainingObserver
    {
        public void OnStep(StepProgress progress)
        {
            if (progress.Step == step) source.Cancel();
        }
    }

    private sealed class Rates(List<double> rates) : ITrainingObserver
    {
        public void OnStep(StepProgress progress) => rates.Add(progress.LearningRate);
    }

    private sealed class OnResume(Action<int> action) : ITrainingObserver
    {
        public void OnResumed(int step, string directory) => action(step);
    }

    private sealed class OnIgnored(Action<string> action) : ITrainingObserver
    {
        public void OnCheckpointIgnored(string directory, string reason) => action(reason);
    }

    private sealed class NoAdapters : nn.Module<Tensor, Tensor>, ILoraTrainableModel
    {
        private readonly TorchSharp.Modules.Linear layer = nn.Linear(2, 2);

        public NoAdapters() : base(nameof(NoAdapters)) => RegisterComponents();

        public LoraTask Task => LoraTask.CausalLanguageModeling;

        public Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask) => forward(inputIds);

        public override Tensor forward(Tensor input) => layer.forward(input);
    }
}
