using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace LoraSdk.Training;

/// <summary>
/// A checkpoint folder: <c>adapter/</c> (the PEFT adapter, usable as is), <c>trainable.safetensors</c> (every
/// trainable tensor under its module name, for an exact resume including modules_to_save),
/// <c>optimizer.bin</c> (AdamW moments and step counts), <c>rng.bin</c> (the CPU generator, which drives
/// dropout) and <c>trainer_state.json</c> (step, data position, early-stopping and loss history).
/// Written to a temporary sibling folder and renamed into place, so an interrupted save leaves the previous
/// checkpoint intact.
/// </summary>
internal static class Checkpoint
{
    public const string StateFile = "trainer_state.json";
    private const string TrainableFile = "trainable.safetensors";
    private const string OptimizerFile = "optimizer.bin";
    private const string RngFile = "rng.bin";
    public const string AdapterFolder = "adapter";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, StateFile));

    public static void Save(string directory, nn.Module model, IReadOnlyList<(string Name, Parameter Parameter)> trainable,
        optim.Optimizer optimizer, TrainerState state, Action<nn.Module, string> saveAdapter)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            saveAdapter(model, Path.Combine(temp, AdapterFolder));
            SaveTrainable(Path.Combine(temp, TrainableFile), trainable);
            using (var writer = new BinaryWriter(File.Create(Path.Combine(temp, OptimizerFile))))
                ((OptimizerHelper)optimizer).save_state_dict(writer);
            using (var rng = torch.get_rng_state())
                File.WriteAllBytes(Path.Combine(temp, RngFile), rng.data<byte>().ToArray());
            File.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, Json));
            ReplaceDirectory(temp, full);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>Restores parameters, optimizer and RNG from <paramref name="directory"/>; returns the saved state.</summary>
    public static TrainerState Load(string directory, IReadOnlyList<(string Name, Parameter Parameter)> trainable, optim.Optimizer optimizer)
    {
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(directory, StateFile)), Json)
            ?? throw new InvalidDataException($"{Path.Combine(directory, StateFile)} is empty.");
        LoadTrainable(Path.Combine(directory, TrainableFile), trainable);
        using (var reader = new BinaryReader(File.OpenRead(Path.Combine(directory, OptimizerFile))))
            ((OptimizerHelper)optimizer).load_state_dict(reader);
        using (var rng = torch.tensor(File.ReadAllBytes(Path.Combine(directory, RngFile))))
            torch.set_rng_state(rng);
        return state;
    }

    /// <summary>Copies the trainable tensors saved in a checkpoint into <paramref name="trainable"/> (used for the best one).</summary>
    public static void LoadTrainable(string checkpointOrFile, IReadOnlyList<(string Name, Parameter Parameter)> trainable)
    {
        var file = checkpointOrFile.EndsWith(".safetensors", StringComparison.Ordinal) ? checkpointOrFile : Path.Combine(checkpointOrFile, TrainableFile);
        var saved = Safetensors.LoadStateDict(file);
        try
        {
            using var _ = no_grad();
            foreach (var (name, parameter) in trainable)
            {
                if (!saved.TryGetValue(name, out var value))
                    throw new InvalidDataException($"Checkpoint {file} has no tensor '{name}': it was written for a different model.");
                if (!value.shape.SequenceEqual(parameter.shape))
                    throw new InvalidDataException(
                        $"Checkpoint tensor '{name}' has shape [{string.Join(", ", value.shape)}], the model expects [{string.Join(", ", parameter.shape)}].");
                parameter.copy_(value);
            }
        }
        finally
        {
            foreach (var tensor in saved.Values) tensor.Dispose();
        }
    }

    private static void SaveTrainable(string file, IReadOnlyList<(string Name, Parameter Parameter)> trainable)
    {
        var dict = trainable.ToDictionary(p => p.Name, p => (Tensor)p.Parameter.detach().cpu());
        try
        {
            Safetensors.SaveStateDict(file, dict);
        }
        finally
        {
            foreach (var tensor in dict.Values) tensor.Dispose();
        }
    }

    /// <summary>Moves <paramref name="source"/> to <paramref name="target"/>, replacing an existing folder with the shortest possible gap.</summary>
    internal static void ReplaceDirectory(string source, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(source, target);
            return;
        }
        var old = target + $".old-{Guid.NewGuid():N}";
        Directory.Move(target, old);
        Directory.Move(source, target);
        Directory.Delete(old, recursive: true);
    }
}
