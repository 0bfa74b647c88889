using System.Globalization;
using LoraSdk.Data;
using LoraSdk.Training.Tests.Models;
using LoraSdk.Training.TestHost;
using static TorchSharp.torch;

namespace LoraSdk.Training.Tests.Training;

/// <summary>
/// Pins the exact numbers of one seeded run that passes through every part of the training loop (accumulation,
/// dropout, warm-up and decay, logging windows, evaluation, best snapshot, checkpoints, restoring the best
/// parameters), so that a restructuring of the trainer that changes any floating-point operation or its order
/// fails here. The expected values were recorded from the trainer before <c>TrainingRun</c> was split out of
/// <c>LoraTrainer.Train</c> (TorchSharp-cpu 0.107.0, x64, one intra-op thread); a deliberate change of the
/// numerics (or of TorchSharp) re-records them. Values are compared to 1e-6 relative, not bit for bit: another CPU
/// (AVX2 against AVX-512 kernels) rounds float32 differently, while any change of the loop's logic moves them far more.
/// </summary>
[Collection(nameof(TrainerTests))]
public class TrainerGoldenTests
{
    [Fact]
    public void ASeededRunReproducesTheRecordedLossesAndParameters()
    {
        using var folder = new TempFolder();
        var model = new TinyCausalLm(new LoraOptions(rank: 4, alpha: 8, dropout: 0.1));
        var options = new TrainerOptions
        {
            MaxSteps = 12, BatchSize = 4, GradientAccumulationSteps = 2, LearningRate = 1e-2, WarmupSteps = 2,
            LogEvery = 2, EvalEvery = 3, EarlyStoppingMinDelta = 0.05, CheckpointDirectory = folder.Path, Seed = 11,
        };

        var result = new LoraTrainer(model, options).Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding);

        var actual = result.History.Select(p => (Step: p.Step, TrainLoss: p.TrainLoss, ValidationLoss: p.ValidationLoss))
            .Append((Step: result.Steps, TrainLoss: result.TrainLoss, ValidationLoss: result.ValidationLoss)).ToArray();
        Assert.Equal(ExpectedHistory.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            var (step, train, validation) = ExpectedHistory[i];
            Assert.Equal(step, actual[i].Step);
            AssertClose(train, actual[i].TrainLoss, $"train loss, row {i}");
            AssertClose(validation, actual[i].ValidationLoss, $"validation loss, row {i}");
        }
        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        AssertClose(ExpectedParameterNorm, ParameterNorm(model), "norm of the trainable parameters");
    }

    private static void AssertClose(double? expected, double? actual, string what)
    {
        Assert.True(expected.HasValue == actual.HasValue, $"{what}: expected {expected}, got {actual}");
        if (expected is { } e && actual is { } a)
            Assert.True(Math.Abs(a - e) <= 1e-6 * Math.Abs(e), $"{what}: expected {e.ToString("R", CultureInfo.InvariantCulture)}, got {a.ToString("R", CultureInfo.InvariantCulture)}");
    }

    // The validation loss of step 12 improves on step 9 by less than EarlyStoppingMinDelta, so step 9's parameters come back.
    private static readonly (int Step, double? Train, double? Validation)[] ExpectedHistory =
    [
        (2, 5.669837117195129, null),
        (3, null, 5.600721492323765),
        (4, 5.61660635471344, null),
        (6, 5.541335940361023, null),
        (6, null, 5.480773393497911),
        (8, 5.45897102355957, null),
        (9, null, 5.388556369515353),
        (10, 5.402138113975525, null),
        (12, 5.3730223178863525, null),
        (12, null, 5.36524306896121),
        (12, 5.3730223178863525, 5.388556369515353),
    ];

    // The last row is the result: step 9's parameters came back (see above).
    private const double ExpectedParameterNorm = 2.747993995924582;

    /// <summary>The Euclidean norm of the trainable parameters, accumulated in float64.</summary>
    private static double ParameterNorm(nn.Module model) =>
        Math.Sqrt(model.named_parameters().Where(p => p.parameter.requires_grad)
            .Sum(p => p.parameter.data<float>().ToArray().Sum(v => (double)v * v)));
}
