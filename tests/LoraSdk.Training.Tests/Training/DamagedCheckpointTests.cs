using System.Text.Json.Nodes;
using LoraSdk.Data;
using LoraSdk.Training.Tests.Models;
using LoraSdk.Training.TestHost;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Training.Tests.Training;

/// <summary>
/// A damaged checkpoint never aborts the process, never throws, and never "completes" a run: it is named in one
/// report, moved aside as <c>&lt;folder&gt;.damaged-*</c>, and training starts over exactly like a fresh run.
/// Torch's global RNG drives every run here, so this class runs alone (not beside TrainerTests).
[Collection(nameof(Hosting.ConsoleCapture))]
public class DamagedCheckpointTests
{
    private static readonly LoraOptions Lora = new(rank: 4, alpha: 8, dropout: 0.1);

    private static TrainerOptions Options(string? checkpoints = null) => new()
    {
        MaxSteps = 6, BatchSize = 4, GradientAccumulationSteps = 2, LearningRate = 1e-2, LogEvery = 1, EvalEvery = 2,
        CheckpointDirectory = checkpoints, Seed = 7,
    };

    private static Dictionary<string, float[]> Trainable(nn.Module model) =>
        model.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter.detach().data<float>().ToArray());

    private static readonly Lazy<Dictionary<string, float[]>> FreshRun = new(() =>
    {
        var model = new TinyCausalLm(Lora);
        new LoraTrainer(model, Options()).Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding);
        return Trainable(model);
    });

    /// <summary>Stops a run after step 3, so <c>last/</c> (and <c>best/</c>) exist; returns the checkpoint root.</summary>
    private static string Interrupted(TempFolder folder)
    {
        if (Directory.Exists(folder.Path)) Directory.Delete(folder.Path, recursive: true); // a previous Rerun's completed checkpoint
        using var cancel = new CancellationTokenSource();
        new LoraTrainer(new TinyCausalLm(Lora), Options(folder.Path))
            .Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding, new CancelAt(3, cancel), cancel.Token);
        Assert.True(File.Exists(Path.Combine(folder.Path, "last", "manifest.json")));
        return folder.Path;
    }

    /// <summary>Runs again over the damaged checkpoint and checks the outcome every case shares.</summary>
    private static Damage Rerun(string root, string damagedFile)
    {
        var model = new TinyCausalLm(Lora);
        var observer = new DamageRecorder();
        var result = new LoraTrainer(model, Options(root)).Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding, observer);

        var damage = Assert.Single(observer.Damages);
        Assert.Null(observer.ResumedAt);
        Assert.Equal((TrainingOutcome.Completed, 6), (result.Outcome, result.Steps));
        var fresh = FreshRun.Value;
        Assert.All(Trainable(model), p => Assert.True(p.Value.SequenceEqual(fresh[p.Key]), $"'{p.Key}' differs from a fresh run"));
        Assert.Equal(damagedFile, damage.File);
        Assert.StartsWith(root + ".damaged-", damage.KeptAs);
        Assert.True(File.Exists(damagedFile.Replace(root, damage.KeptAs)) || Directory.Exists(Path.Combine(damage.KeptAs, "last")),
            "the damaged checkpoint is kept");
        Directory.Delete(damage.KeptAs, recursive: true);
        return damage;
    }

    private static void Truncate(string path, int keep = 100) => File.WriteAllBytes(path, File.ReadAllBytes(path)[..keep]);

    /// <summary>Edits a file and writes a matching manifest, as if the trainer itself had written the bad values.</summary>
    private static void Consistently(string root, Action edit)
    {
        edit();
        CheckpointManifest.Write(Path.Combine(root, "last"));
    }

    private static void EditState(string root, Action<JsonObject> edit)
    {
        string path = Path.Combine(root, "last", "trainer_state.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    [Fact]
    public void TruncatedRngStateIsCaughtBeforeLibtorchSeesIt()
    {
        using var folder = new TempFolder();
        string root = Interrupted(folder), rng = Path.Combine(root, "last", "rng.bin");
        Truncate(rng);
        Assert.Contains("were written: cut short", Rerun(root, rng).Problem);
    }

    [Fact]
    public void RngStateOfTheWrongSizeIsRefusedEvenWithAMatchingManifest()
    {
        using var folder = new TempFolder();
        string root = Interrupted(folder), rng = Path.Combine(root, "last", "rng.bin");
        Consistently(root, () => Truncate(rng));
        Assert.Matches(@"^100 bytes, but the CPU generator's state is \d+ bytes$", Rerun(root, rng).Problem);
    }

    [Fact]
    public void GarbageTrainerStateIsNamed()
    {
        using var folder = new TempFolder();
        string root = Interrupted(folder), state = Path.Combine(root, "last", "trainer_state.json");
        File.WriteAllText(state, "{ this is not json");
        Assert.Matches("edited|changed after it was written", Rerun(root, state).Problem);

        Interrupted(folder);
        Consistently(root, () => File.WriteAllText(state, "{ this is not json"));
        Assert.StartsWith("not a valid trainer state (", Rerun(root, state).Problem);
    }

    [Fact]
    public void TruncatedOptimizerStateIsNamed()
    {
        using var folder = new TempFolder();
        string root = Interrupted(folder), optimizer = Path.Combine(root, "last", "optimizer.bin");
        Truncate(optimizer);
        Assert.Contains("were written: cut short", Rerun(root, optimizer).Problem);

        // With a manifest that matches the cut file, TorchSharp's own reader fails; the model is still untouched.
        Interrupted(folder);
        Consistently(root, () => Truncate(optimizer));
        Assert.StartsWith("does not fit this run's optimizer", Rerun(root, optimizer).Problem);
    }

    [Fact]
    public void AMissingAdapterFolderIsNamed()
    {
        using var folder = new TempFolder();
        string root = Interrupted(folder);
        Directory.Delete(Path.Combine(root, "last", "adapter"), recursive: true);
        Assert.Equal("missing", Rerun(root, Path.Combine(root, "last", "adapter", "adapter_config.json")).Problem);
    }

    [Fact]
    public void AMissingManifestMeansAnIncompleteCheckpoint()
    {
        using var folder = new TempFolder();
        string root = Interrupted(folder), manifest = Path.Combine(root, "last", "manifest.json");
        File.Delete(manifest);
        Assert.StartsWith("missing: the checkpoint is incomplete", Rerun(root, manifest).Problem);
    }

    [Theory]
    [InlineData("Step", 99999, "Step = 99999: outside 0..6")]
    [InlineData("Step", -1, "Step = -1: outside 0..6")]
    [InlineData("MicroBatchesSeen", -4, "MicroBatchesSeen = -4: 3 steps of 2 micro-batches consume 6")]
    [InlineData("EvaluationsWithoutImprovement", -1, "EvaluationsWithoutImprovement = -1: outside 0..3")]
    [InlineData("LossWindowSteps", -2, "LossWindowSteps = -2: outside 0..3")]
    public void ImpossibleValuesNeverCompleteARun(string key, int value, string expected)
    {
        using var folder = new TempFolder();
        string root = Interrupted(folder), state = Path.Combine(root, "last", "trainer_state.json");
        EditState(root, json => json[key] = value);
        Assert.Matches("edited|changed after it was written", Rerun(root, state).Problem); // edited by hand: the hash says so

        Interrupted(folder);
        Consistently(root, () => EditState(root, json => json[key] = value)); // written wrong: the values say so
        Assert.Equal(expected, Rerun(root, state).Problem);
    }

    [Fact]
    public void AnIntactCheckpointStillResumes()
    {
        using var folder = new TempFolder();
        string root = Interrupted(folder);
        var observer = new DamageRecorder();
        new LoraTrainer(new TinyCausalLm(Lora), Options(root)).Train(ToyData.Text(), ToyData.Text(1), ByteTokenizer.Padding, observer);
        Assert.Equal(3, observer.ResumedAt);
        Assert.Empty(observer.Damages);
    }

    private sealed record Damage(string File, string Problem, string KeptAs);

    private sealed class DamageRecorder : ITrainingObserver
    {
        public List<Damage> Damages { get; } = [];

        public int? ResumedAt { get; private set; }

        public void OnCheckpointDamaged(string file, string problem, string keptAs) => Damages.Add(new Damage(file, problem, keptAs));

        public void OnResumed(int step, string directory) => ResumedAt = step;
    }

    private sealed class CancelAt(int step, CancellationTokenSource source) : ITrainingObserver
    {
        public void OnStep(StepProgress progress)
        {
            if (progress.Step == step) source.Cancel();
        }
    }
}
