using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Loads a PEFT adapter folder into a model in two phases: <see cref="Read"/> checks everything (config,
/// file integrity, keys, shapes, hyper-parameters) and holds the decoded tensors; only then does
/// <see cref="Apply"/> copy them in, which cannot fail. A bad folder therefore never changes the model.
/// </summary>
internal sealed class AdapterLoader : IDisposable
{
    private readonly IReadOnlyList<(string Path, LoraAdapter Adapter)> _adapters;
    private readonly List<(Tensor Destination, Tensor Source)> _copies;
    private readonly Dictionary<string, Tensor> _loaded;

    private AdapterLoader(IReadOnlyList<(string, LoraAdapter)> adapters, List<(Tensor, Tensor)> copies, Dictionary<string, Tensor> loaded)
    {
        _adapters = adapters;
        _copies = copies;
        _loaded = loaded;
    }

    /// <summary>
    /// Reads <paramref name="directory"/> into <paramref name="adapters"/> (one adapter per adapted layer, with its
    /// target path). <paramref name="modulesToSave"/>: whether the folder may carry <c>modules_to_save</c> (the
    /// model has one copy of such modules, which belongs to its default adapter).
    /// </summary>
    public static AdapterLoader Read(nn.Module model, string directory, IReadOnlyList<(string Path, LoraAdapter Adapter)> adapters,
        bool modulesToSave = true, AdapterLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options ??= new AdapterLoadOptions();
        string folder = Path.GetFullPath(directory);
        var (configPath, tensorPath) = Files(folder);
        if (adapters.Count == 0) throw new InvalidOperationException("The model has no LoRA adapters to load into.");

        var config = ReadConfig(configPath);
        if (!modulesToSave && config.ModulesToSave is { Count: > 0 })
            throw new AdapterFormatException(configPath, "modules_to_save",
                "a named adapter holds LoRA tensors only; load a folder with modules_to_save as the model's default adapter (LoadAdapter(dir)).");
        CheckHyperParameters(config, adapters, configPath);
        var expected = ExpectedTensors(model, config, adapters, configPath);

        byte[] bytes = File.ReadAllBytes(tensorPath);
        var header = SafetensorsHeader.Parse(bytes, tensorPath);
        var renames = LegacyAdapterKeys.Renames(model, header.Tensors.Keys, expected.Keys.ToHashSet(StringComparer.Ordinal));
        var entries = header.Tensors.ToDictionary(e => renames.GetValueOrDefault(e.Key, e.Key), e => e.Value, StringComparer.Ordinal);
        CheckTensors(entries, expected, tensorPath);

        var loaded = Decode(bytes, header, tensorPath);
        if (!options.AllowNonFiniteValues) DisposeOnFailure(loaded, () => FiniteTensorCheck.Ensure(loaded, tensorPath));
        if (TargetModulesCheck.Unmatched(config, [.. adapters.Select(a => a.Path)]) is { Count: > 0 } unmatched)
            options.Warn($"{configPath}: warning: target_modules names {string.Join(", ", unmatched)}, which match no adapted layer of the model " +
                $"(adapted: {string.Join(", ", adapters.Select(a => a.Path))}); was the adapter written for another model?");
        var copies = expected.Select(e => (e.Value.Destination, loaded[entries[e.Key].Key])).ToList();
        if (renames.Count > 0) options.Warn(LegacyAdapterKeys.Warning(model, folder, renames.Count));
        return new AdapterLoader(adapters, copies, loaded);
    }

    /// <summary>The config and tensor file of an adapter folder; missing ones fail naming the path.</summary>
    public static (string ConfigPath, string TensorPath) Files(string folder)
    {
        if (File.Exists(folder))
            throw new IOException($"'{folder}' is a file, not an adapter folder: pass the folder that holds {AdapterConfig.FileName} and {PeftKeys.TensorFileName}.");
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Adapter folder '{folder}' does not exist.");
        string configPath = Path.Combine(folder, AdapterConfig.FileName);
        string tensorPath = Path.Combine(folder, PeftKeys.TensorFileName);
        foreach (var file in new[] { configPath, tensorPath })
            if (!File.Exists(file)) throw new FileNotFoundException($"Adapter file '{file}' does not exist.", file);
        return (configPath, tensorPath);
    }

    public static AdapterConfig ReadConfig(string configPath)
    {
        var config = AdapterConfig.Read(configPath);
        config.Validate(configPath);
        return config;
    }

    /// <summary>Copies the tensors in; merged adapters are unmerged first and merged again with the new weights.</summary>
    public void Apply()
    {
        using var _ = no_grad();
        var merged = _adapters.Select(a => a.Adapter).Where(a => a.IsMerged).ToList();
        foreach (var adapter in merged) adapter.Unmerge();
        foreach (var (destination, source) in _copies) destination.copy_(source);
        foreach (var (_, adapter) in _adapters) adapter.MagnitudeWasLoaded(); // DoRA: the file's m, not one derived from W
        foreach (var adapter in merged) adapter.MergeChecked(safe: false); // merged before the load: restore that state
    }

    public void Dispose()
    {
        foreach (var tensor in _loaded.Values) tensor.Dispose();
    }

    /// <summary>
    /// Rank, alpha, rsLoRA and PiSSA come from how the model was built; a file that disagrees would load
    /// (or fail on shapes) and silently compute something else, so each target is compared.
    /// </summary>
    private static void CheckHyperParameters(AdapterConfig config, IReadOnlyList<(string Path, LoraAdapter Adapter)> adapters, string configPath)
    {
        foreach (var (path, adapter) in adapters)
        {
            var options = adapter.Options;
            int rank = config.RankFor(path);
            if (rank != options.Rank)
                throw new AdapterFormatException(configPath, path, $"the file gives rank {rank}, the model's adapter has rank {options.Rank} (LoadAdapter(dir, name) loads it beside it with the file's ranks).");
            double alpha = config.AlphaFor(path);
            if (Math.Abs(alpha - options.Alpha) > 1e-9 * Math.Max(1, Math.Abs(options.Alpha)))
                throw new AdapterFormatException(configPath, path, $"the file gives lora_alpha {alpha}, the model's adapter has alpha {options.Alpha}.");
            if (config.UseRsLora != options.UseRsLoRA)
                throw new AdapterFormatException(configPath, path, $"the file gives use_rslora {Lower(config.UseRsLora)}, the model's adapter has {Lower(options.UseRsLoRA)}.");
            // A DoRA adapter's A/B only reproduce its model together with its magnitudes, and a plain adapter has none.
            if (config.UseDora != options.UseDoRA)
                throw new AdapterFormatException(configPath, path,
                    $"the file gives use_dora {Lower(config.UseDora)}, the model's adapter has {Lower(options.UseDoRA)}; build the model with UseDoRA = {Lower(config.UseDora)} ([LoRA(UseDoRA = …)] or LoRA:UseDoRA) to load it.");
            // PiSSA moves the top singular directions out of the base weight, so A/B trained with it only fit a PiSSA model.
            bool filePissa = config.Init == LoraInit.PiSSA, modelPissa = options.Init == LoraInit.PiSSA;
            if (filePissa != modelPissa)
                throw new AdapterFormatException(configPath, path,
                    $"the file gives init_lora_weights '{config.InitLoraWeights}', the model's adapter uses {options.Init}; PiSSA and non-PiSSA adapters are not interchangeable.");
        }
    }

    private static string Lower(bool value) => value ? "true" : "false";

    private static Dictionary<string, (Tensor Destination, bool IsLora)> ExpectedTensors(
        nn.Module model, AdapterConfig config, IReadOnlyList<(string Path, LoraAdapter Adapter)> adapters, string configPath)
    {
        var expected = new Dictionary<string, (Tensor, bool)>(StringComparer.Ordinal);
        foreach (var (path, adapter) in adapters)
            foreach (var (name, parameter) in adapter.ParameterNames)
                expected[PeftKeys.For(path, name)] = (parameter, true);
        var saved = ModulesToSave.Resolve(model, config.ModulesToSave ?? [], adapters,
            (entry, message) => new AdapterFormatException(configPath, $"modules_to_save.{entry}", message));
        foreach (var module in saved)
            foreach (var (key, tensor) in module.Tensors())
                expected[key] = (tensor, false);
        return expected;
    }

    // entries: the file's tensors under the model's current keys (see LegacyAdapterKeys).
    private static void CheckTensors(IReadOnlyDictionary<string, SafetensorsEntry> entries, Dictionary<string, (Tensor Destination, bool IsLora)> expected, string tensorPath)
    {
        foreach (var (key, entry) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            if (!expected.ContainsKey(key))
                throw new AdapterFormatException(tensorPath, entry.Key, "unknown key: the model has no LoRA parameter or saved module with this name.");
        foreach (var (key, (destination, isLora)) in expected.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!entries.TryGetValue(key, out var entry))
                throw new AdapterFormatException(tensorPath, key, "missing: the model has this parameter but the file does not.");
            if (!entry.Shape.SequenceEqual(destination.shape))
                throw new AdapterFormatException(tensorPath, key,
                    $"shape mismatch: the file has {Shapes.Format(entry.Shape)}, the model expects {Shapes.Format(destination.shape)}.");
            if (isLora && !SafetensorsDType.IsFloatingPoint(entry.Type))
                throw new AdapterFormatException(tensorPath, key, $"dtype {entry.DType} is not a floating-point type.");
        }
    }

    private static void DisposeOnFailure(Dictionary<string, Tensor> tensors, Action check)
    {
        try
        {
            check();
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
    }

    private static Dictionary<string, Tensor> Decode(byte[] bytes, SafetensorsHeader header, string tensorPath)
    {
        Dictionary<string, Tensor> loaded;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            loaded = Safetensors.LoadStateDict(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new AdapterFormatException(tensorPath, null, $"the tensors could not be decoded: {e.Message}", e);
        }
        // The header was validated on its own; the decoder must agree with it.
        foreach (var (key, entry) in header.Tensors)
        {
            if (!loaded.TryGetValue(key, out var tensor) || !tensor.shape.SequenceEqual(entry.Shape) || tensor.dtype != entry.Type)
            {
                foreach (var t in loaded.Values) t.Dispose();
                throw new AdapterFormatException(tensorPath, key, "the decoded tensor does not match the file's header.");
            }
        }
        return loaded;
    }
}
