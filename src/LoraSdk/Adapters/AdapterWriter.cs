using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Writes a model's adapters as a PEFT folder: <c>adapter_config.json</c> + <c>adapter_model.safetensors</c> for
/// the default adapter at the root (with <c>modules_to_save</c>), and PEFT's multi-adapter layout for named
/// adapters: each in a subfolder named after it (as <c>PeftModel.save_pretrained</c> writes them).
/// </summary>
internal static class AdapterWriter
{
    public static void Save(nn.Module model, string directory, AdapterSaveOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options ??= new AdapterSaveOptions();

        var hosts = model.LoraHosts();
        if (hosts.Count == 0)
            throw new InvalidOperationException("The model has no LoRA adapters to save.");
        EnsureNothingTrainedIsLeftOut(model, options.ModulesToSave);
        ModelFreezing.EnsureFrozen(model);
        var saved = ModulesToSave.Resolve(model, options.ModulesToSave, hosts,
            (entry, message) => new ArgumentException($"ModulesToSave entry '{entry}' {message}", nameof(options)));
        var metadata = Metadata(options.Metadata);
        var folders = hosts[0].Host.AllLayerAdapters.Select(a => a.AdapterName).Select(name =>
        {
            bool isDefault = name == LoraAdapter.DefaultName;
            var adapters = hosts.Select(h => (h.Path, h.Host.FindAdapter(name)!)).ToList();
            foreach (var (_, adapter) in adapters) adapter.SettleMagnitude(); // DoRA: m from the weight in force if never used yet
            var config = AdapterConfigBuilder.Build(adapters, isDefault ? options.ModulesToSave : [], options);
            var tensors = adapters
                .SelectMany(a => a.Item2.ParameterNames.Select(p => (PeftKeys.For(a.Path, p.Name), p.Parameter)))
                .Concat(isDefault ? saved.SelectMany(m => m.Tensors()) : [])
                .ToList();
            return (Subfolder: isDefault ? "" : name, Config: config, Tensors: tensors);
        }).ToList();

        AtomicDirectory.Write(directory, staging =>
        {
            foreach (var (subfolder, config, tensors) in folders)
            {
                string folder = Path.Combine(staging, subfolder);
                Directory.CreateDirectory(folder);
                config.Write(Path.Combine(folder, AdapterConfig.FileName));
                SafetensorsWriter.Write(Path.Combine(folder, PeftKeys.TensorFileName), tensors, metadata);
            }
            SavedSubfolders.Write(staging, [.. folders.Select(f => f.Subfolder).Where(s => s.Length > 0)]);
            options.WriteAdditionalFiles?.Invoke(staging);
        }, warn: options.Warn);
    }

    /// <summary>
    /// An adapter folder holds the adapters and modules_to_save only. A layer outside both that has been trained
    /// (it is trainable and has a gradient) would be lost without a word, and the adapter would not reproduce the model.
    /// </summary>
    private static void EnsureNothingTrainedIsLeftOut(nn.Module model, IReadOnlyList<string> modulesToSave)
    {
        var trained = ModelFreezing.Strays(model, [.. modulesToSave]).Where(p => p.Parameter.grad is not null).ToList();
        if (trained.Count == 0) return;
        throw new InvalidOperationException(
            $"Cannot save the adapter: {ModelFreezing.Layers(trained)} has been trained (trainable, with a gradient) but belongs to no LoRA " +
            "adapter and is not in ModulesToSave, so the adapter would not hold it and would not reproduce the model. List it in " +
            "AdapterSaveOptions.ModulesToSave to save it, or freeze it before training (model.LoraParameters() or model.FreezeBase() freezes " +
            "everything outside the adapters).");
    }

    private static Dictionary<string, string> Metadata(IReadOnlyDictionary<string, string> user)
    {
        if (user.ContainsKey("format"))
            throw new ArgumentException("Metadata key 'format' is reserved: adapter files always say format = pt.", nameof(user));
        var metadata = new Dictionary<string, string>(user, StringComparer.Ordinal) { ["format"] = "pt" };
        return metadata;
    }
}
