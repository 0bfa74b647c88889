using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Training;

/// <summary>
/// A checkpoint folder: <c>adapter/</c> (the PEFT adapter with its modules_to_save: usable as is, and what a
/// resume loads, bit-exact since it stores the parameters' own dtype), <c>optimizer.bin</c> (AdamW moments and step counts), <c>rng.bin</c> (the CPU generator, which drives
/// dropout) and <c>trainer_state.json</c> (step, data position, early-stopping and loss history).
/// Written to a temporary sibling folder and renamed into place, so an interrupted save leaves the previous
/// checkpoint intact.
/// </summary>
internal static class Checkpoint
{
    public const string StateFile = "trainer_state.json";
    private const string OptimizerFile = "optimizer.bin";
    private const string RngFile = "rng.bin";
    public const string AdapterFolder = "adapter";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, StateFile));

    public static void Save(string directory, nn.Module model, AdapterSaveOptions adapterOptions, optim.Optimizer optimizer, TrainerState state)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            model.SaveAdapter(Path.Combine(temp, AdapterFolder), adapterOptions);
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

    /// <summary>The bookkeeping of the checkpoint in <paramref name="directory"/>, without touching the model.</summary>
    public static TrainerState ReadState(string directory) =>
        JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(directory, StateFile)), Json)
        ?? throw new InvalidDataException($"{Path.Combine(directory, StateFile)} is empty.");

    /// <summary>Restores parameters, optimizer and RNG from <paramref name="directory"/>.</summary>
    public static void Restore(string directory, nn.Module model, optim.Optimizer optimizer)
    {
        LoadParameters(directory, model);
        using (var reader = new BinaryReader(File.OpenRead(Path.Combine(directory, OptimizerFile))))
            ((OptimizerHelper)optimizer).load_state_dict(reader);
        using (var rng = torch.tensor(File.ReadAllBytes(Path.Combine(directory, RngFile))))
            torch.set_rng_state(rng);
    }

    /// <summary>Loads the checkpoint's adapter (and modules_to_save) into <paramref name="model"/>, in place.</summary>
    public static void LoadParameters(string directory, nn.Module model) => model.LoadAdapter(Path.Combine(directory, AdapterFolder));

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
