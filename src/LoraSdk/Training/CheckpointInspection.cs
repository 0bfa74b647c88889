using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Training;

/// <summary>
/// Decides, before anything is loaded, whether the <c>last/</c> checkpoint can resume this run: every file
/// intact (<see cref="CheckpointManifest"/>), the state readable and consistent with the options and data,
/// the RNG state the size the generator takes, the adapters loadable into the model.
/// </summary>
internal static class CheckpointInspection
{
    public abstract record Verdict;

    public sealed record Resumable(TrainerState State) : Verdict;

    /// <summary>A sound checkpoint of another run (seed, length, batching, data, base storage or LoRA+ ratio differ).</summary>
    public sealed record Foreign(string Reason) : Verdict;

    public sealed record Damaged(string File, string Problem) : Verdict;

    public static Verdict Inspect(string last, string? best, TrainerState current, TrainerOptions options, nn.Module model)
    {
        string[] folders = [last, .. best is not null && Directory.Exists(best) ? [best] : Array.Empty<string>()];
        foreach (var folder in folders)
        {
            if (CheckpointManifest.Verify(folder, Checkpoint.RequiredFiles) is { } broken)
                return new Damaged(broken.File, broken.Problem);
        }

        string statePath = Path.Combine(last, Checkpoint.StateFile);
        TrainerState? saved;
        try
        {
            saved = JsonSerializer.Deserialize<TrainerState>(File.ReadAllBytes(statePath), Checkpoint.Json);
        }
        catch (JsonException e)
        {
            return new Damaged(statePath, $"not a valid trainer state ({Data.JsonErrorText.WithoutPosition(e.Message)})");
        }
        if (saved is null) return new Damaged(statePath, "holds null instead of the trainer state");
        if (Mismatch(saved, current) is { } reason) return new Foreign(reason);
        if (options.PauseAtStep > 0 && saved.Step > options.PauseAtStep)
            return new Foreign($"it is at step {saved.Step}, past this run's PauseAtStep = {options.PauseAtStep}");
        if (saved.Problems(options.GradientAccumulationSteps).FirstOrDefault() is { } problem) return new Damaged(statePath, problem);

        // libtorch aborts the whole process (not an exception) on a generator state of the wrong size.
        string rngPath = Path.Combine(last, Checkpoint.RngFile);
        using (var rng = torch.get_rng_state())
        {
            long size = new FileInfo(rngPath).Length;
            if (size != rng.numel()) return new Damaged(rngPath, $"{size} bytes, but the CPU generator's state is {rng.numel()} bytes");
        }

        foreach (var folder in folders)
        {
            string adapter = Path.Combine(folder, Checkpoint.AdapterFolder);
            try
            {
                using var _ = AdapterLoader.Read(model, adapter, model.LoraHosts());
            }
            catch (IOException e)
            {
                return new Damaged(adapter, $"cannot be loaded into the model: {e.Message}");
            }
        }
        return new Resumable(saved);
    }

    private static string BaseStorageText(TrainerState state) => state.BaseStorage.Length == 0 ? "float" : state.BaseStorage;

    private static string? Mismatch(TrainerState saved, TrainerState current) =>
        saved.Seed != current.Seed ? $"it was written with seed {saved.Seed}, this run uses {current.Seed}"
        : saved.TotalSteps != current.TotalSteps ? $"it was written for {saved.TotalSteps} steps, this run has {current.TotalSteps}"
        : saved.BatchSize != current.BatchSize ? $"it was written with batch size {saved.BatchSize}, this run uses {current.BatchSize}"
        : saved.GradientAccumulationSteps != current.GradientAccumulationSteps
            ? $"it was written with {saved.GradientAccumulationSteps} accumulation steps, this run uses {current.GradientAccumulationSteps}"
        : saved.DataFingerprint != current.DataFingerprint ? "the training data changed since it was written"
        : saved.BaseStorage != current.BaseStorage
            ? $"it was written on a {BaseStorageText(saved)} base, this run's base is {BaseStorageText(current)}"
        : saved.LoraPlusLrRatio != current.LoraPlusLrRatio
            ? $"it was written with LoraPlusLrRatio = {saved.LoraPlusLrRatio.ToString(System.Globalization.CultureInfo.InvariantCulture)}, this run uses {current.LoraPlusLrRatio.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
        : null;
}
