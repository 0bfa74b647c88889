using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Loads PEFT adapter folders into named adapters: one folder as a new named adapter shaped by its config
/// (PEFT's <c>load_adapter</c>), or a whole multi-adapter folder (the default at the root, one subfolder per
/// named adapter). Everything is read and checked before anything changes, so a bad folder leaves the model as it was.
/// </summary>
internal static class MultiAdapterFolders
{
    /// <summary>The root into the default adapter; each adapter subfolder into the adapter of its name (created if new).</summary>
    public static void Load(nn.Module model, string directory, AdapterLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options ??= new AdapterLoadOptions();
        string folder = Path.GetFullPath(directory);
        var hosts = model.LoraHosts();
        SharedWeights.RecordTree(model, hosts);
        foreach (var (_, host) in hosts) host.NamedSet.EnsureNoMixedScope("load an adapter");
        var loaders = new List<AdapterLoader>();
        var created = new List<(string Name, List<LoraAdapter> Adapters)>();
        try
        {
            loaders.Add(AdapterLoader.Read(model, folder, hosts, options: options));
            foreach (var subfolder in AdapterSubfolders(folder, options))
            {
                string name = Path.GetFileName(subfolder);
                if (hosts[0].Host.FindAdapter(name) is not null)
                {
                    loaders.Add(AdapterLoader.Read(model, subfolder, hosts.Select(h => (h.Path, h.Host.FindAdapter(name)!)).ToList(), modulesToSave: false, options: options));
                    continue;
                }
                var adapters = CreateFor(model, subfolder, name, hosts);
                created.Add((name, adapters));
                loaders.Add(AdapterLoader.Read(model, subfolder, Pair(hosts, adapters), modulesToSave: false, options: options));
            }
        }
        catch
        {
            foreach (var loader in loaders) loader.Dispose();
            foreach (var adapter in created.SelectMany(c => c.Adapters)) adapter.Dispose();
            throw;
        }
        foreach (var loader in loaders)
        {
            loader.Apply();
            loader.Dispose();
        }
        foreach (var (name, adapters) in created) Attach(hosts, name, adapters);
    }

    /// <summary>One adapter folder as a new adapter called <paramref name="name"/>, with the ranks and alphas its config gives.</summary>
    public static void LoadNamed(nn.Module model, string directory, string name, AdapterLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string folder = Path.GetFullPath(directory);
        var hosts = model.LoraHosts();
        if (hosts.Count == 0) throw new InvalidOperationException("The model has no LoRA adapters to load into.");
        SharedWeights.RecordTree(model, hosts);
        foreach (var (_, host) in hosts) host.NamedSet.EnsureNoMixedScope($"load adapter '{name}'");
        var adapters = CreateFor(model, folder, name, hosts);
        try
        {
            using var loader = AdapterLoader.Read(model, folder, Pair(hosts, adapters), modulesToSave: false, options: options);
            loader.Apply();
        }
        catch
        {
            foreach (var adapter in adapters) adapter.Dispose();
            throw;
        }
        Attach(hosts, name, adapters);
    }

    /// <summary>
    /// The subfolders holding named adapters, as PEFT's save_pretrained writes them. A subfolder with neither adapter
    /// file is not one and is passed over. One whose name cannot name an adapter (a copy such as <c>v1.0/</c> or
    /// <c>old copy/</c>) is skipped with a warning naming it: it cannot be a named adapter, and a stray backup must not
    /// stop an app. A named adapter missing one of its two files, or a subfolder named <c>default</c> (it would
    /// replace the root adapter), is an error naming it: loading on without it would drop or replace an adapter silently.
    /// </summary>
    private static List<string> AdapterSubfolders(string folder, AdapterLoadOptions options)
    {
        var found = new List<string>();
        if (!Directory.Exists(folder)) return found; // the root's own check names the folder
        foreach (var subfolder in Directory.EnumerateDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(subfolder);
            string config = Path.Combine(subfolder, AdapterConfig.FileName), tensors = Path.Combine(subfolder, PeftKeys.TensorFileName);
            bool hasConfig = File.Exists(config), hasTensors = File.Exists(tensors);
            if (!hasConfig && !hasTensors) continue;
            if (MultiAdapterExtensions.NameProblem(name) is { } problem)
            {
                options.Warn($"{subfolder}: warning: skipped: '{name}' is not an adapter name ({problem}), so it holds no named adapter of this folder; " +
                    $"if it is a backup or a copy, move it out of {folder}.");
                continue;
            }
            if (name == LoraAdapter.DefaultName)
                throw new AdapterFormatException(subfolder, null,
                    "a subfolder named 'default' cannot be loaded: the default adapter is the one at the root of the folder, and this one would replace it. Rename the subfolder or move it out.");
            if (!hasConfig || !hasTensors)
            {
                string missing = hasConfig ? tensors : config;
                throw new AdapterFormatException(missing, null,
                    $"missing: the subfolder '{name}' holds {Path.GetFileName(hasConfig ? config : tensors)} without {Path.GetFileName(missing)}, so its named adapter '{name}' " +
                    $"cannot be loaded. Restore the file, or move the subfolder out of {folder}.");
            }
            found.Add(subfolder);
        }
        return found;
    }

    /// <summary>Unattached adapters for every adapted layer, shaped as the folder's config says for each target path.</summary>
    private static List<LoraAdapter> CreateFor(nn.Module model, string folder, string name, IReadOnlyList<(string Path, LoraAdapter Host)> hosts)
    {
        MultiAdapterExtensions.RequireNewName(hosts, name);
        var (configPath, _) = AdapterLoader.Files(folder);
        var config = AdapterLoader.ReadConfig(configPath);
        if (config.Init == LoraInit.PiSSA)
            throw new AdapterFormatException(configPath, "init_lora_weights",
                "PiSSA adapters only fit a base weight that holds their residual; a named adapter shares the model's base weight, so load it as the default adapter of a PiSSA model.");
        var adapters = new List<LoraAdapter>();
        try
        {
            foreach (var (path, host) in hosts)
                adapters.Add(LoraAdapter.Create(host.TargetName, host.Target, OptionsFor(config, path, configPath)));
        }
        catch
        {
            foreach (var adapter in adapters) adapter.Dispose();
            throw;
        }
        return adapters;
    }

    private static LoraOptions OptionsFor(AdapterConfig config, string path, string configPath)
    {
        try
        {
            return new LoraOptions(config.RankFor(path), config.AlphaFor(path), config.LoraDropout, config.UseRsLora, useDoRA: config.UseDora);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new AdapterFormatException(configPath, e.ParamName == "dropout" ? "lora_dropout" : path, e.Message, e);
        }
    }

    private static List<(string Path, LoraAdapter Adapter)> Pair(IReadOnlyList<(string Path, LoraAdapter Host)> hosts, List<LoraAdapter> adapters) =>
        hosts.Select((h, i) => (h.Path, adapters[i])).ToList();

    private static void Attach(IReadOnlyList<(string Path, LoraAdapter Host)> hosts, string name, List<LoraAdapter> adapters)
    {
        for (int i = 0; i < hosts.Count; i++) hosts[i].Host.NamedSet.Add(name, adapters[i]);
        // As PEFT's load_adapter: the new adapter is not active, so it does not train.
        foreach (var (_, parameter) in adapters.SelectMany(a => a.ParameterNames)) parameter.requires_grad = false;
    }
}
