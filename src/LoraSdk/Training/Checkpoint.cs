using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Training;

/// <summary>
/// A checkpoint folder: <c>adapter/</c> (the PEFT adapter with its modules_to_save: usable as is, and what a
/// resume loads, bit-exact since it stores the parameters' own dtype), <c>optimizer.bin</c> (AdamW moments and step counts), <c>rng.bin</c> (the CPU generator, which drives
/// dropout), <c>trainer_state.json</c> (step, data position, early-stopping and loss history) and
/// <c>manifest.json</c> (size and SHA-256 of each, written last: see <see cref="CheckpointInspection"/>).
/// Written to a temporary sibling folder and renamed into place, so an interrupted save leaves the previous
/// checkpoint intact.
/// </summary>
internal static class Checkpoint
{
    public const string StateFile = "trainer_state.json";
    public const string OptimizerFile = "optimizer.bin";
    public const string RngFile = "rng.bin";
    public const string AdapterFolder = "adapter";

    /// <summary>What a checkpoint must hold to be resumed.</summary>
    public static readonly string[] RequiredFiles =
        [StateFile, OptimizerFile, RngFile, $"{AdapterFolder}/{AdapterConfig.FileName}", $"{AdapterFolder}/{PeftKeys.TensorFileName}"];

    // A diverged run's NaN loss must not make the checkpoint itself fail to write.
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Whether <paramref name="directory"/> holds anything a resume would look at.</summary>
    public static bool Exists(string directory) => Directory.Exists(directory);

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
            CheckpointManifest.Write(temp);
            ReplaceDirectory(temp, full);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Restores optimizer, RNG and parameters from a checkpoint that <see cref="CheckpointInspection"/> passed.
    /// The optimizer comes first: if it fails the model is still untouched and the caller can start over.
    /// </summary>
    public static void Restore(string directory, nn.Module model, optim.Optimizer optimizer)
    {
        string optimizerPath = Path.Combine(directory, OptimizerFile);
        try
        {
            using var reader = new BinaryReader(File.OpenRead(optimizerPath));
            ((OptimizerHelper)optimizer).load_state_dict(reader);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidOperationException)
        {
            throw new CheckpointDamagedException(optimizerPath, $"does not fit this run's optimizer ({e.Message})", e);
        }
        using (var rng = torch.tensor(File.ReadAllBytes(Path.Combine(directory, RngFile))))
            torch.set_rng_state(rng);
        LoadParameters(directory, model);
    }

    /// <summary>Loads the checkpoint's adapter (and modules_to_save) into <paramref name="model"/>, in place.</summary>
    public static void LoadParameters(string directory, nn.Module model) => model.LoadAdapter(Path.Combine(directory, AdapterFolder));

    /// <summary>
    /// Moves a damaged checkpoint folder out of the way, to <c>&lt;folder&gt;.damaged-&lt;UTC time&gt;</c> beside it,
    /// so the run can start over while the user keeps what was there. Returns the new path.
    /// </summary>
    public static string SetAside(string directory)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        string aside = $"{full}.damaged-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        if (Directory.Exists(aside) || File.Exists(aside)) aside += $"-{Guid.NewGuid():N}"[..9];
        Directory.Move(full, aside);
        return aside;
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
