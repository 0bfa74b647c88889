using System.Globalization;
using System.Security.Cryptography;
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
/// numerics (or of TorchSharp) re-records them.
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

        string actual = string.Join("\n", result.History.Select(p => $"{p.Step} {R(p.TrainLoss)} {R(p.ValidationLoss)}"))
            + $"\nresult {result.Outcome} {result.Steps} {R(result.TrainLoss)} {R(result.ValidationLoss)}\nparameters {ParameterHash(model)}";
        Assert.Equal(Expected, actual);
    }

    // The validation loss of step 12 improves on step 9 by less than EarlyStoppingMinDelta, so step 9's parameters come back.
    private const string Expected =
        "2 5.669837117195129 -\n" +
        "3 - 5.600721492323765\n" +
        "4 5.61660635471344 -\n" +
        "6 5.541335940361023 -\n" +
        "6 - 5.480773393497911\n" +
        "8 5.45897102355957 -\n" +
        "9 - 5.388556369515353\n" +
        "10 5.402138113975525 -\n" +
        "12 5.3730223178863525 -\n" +
        "12 - 5.36524306896121\n" +
        "result Completed 12 5.3730223178863525 5.388556369515353\n" +
        "parameters 23EF0E341B4DEB44D68253BA6D7098D62BA908C1F65E1A92B5F6DB95AA0C902C";

    private static string R(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "-";

    /// <summary>SHA-256 of the trainable parameters' bytes, in name order.</summary>
    private static string ParameterHash(nn.Module model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, parameter) in model.named_parameters().Where(p => p.parameter.requires_grad).OrderBy(p => p.name, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(parameter.data<float>().ToArray().AsSpan()));
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
