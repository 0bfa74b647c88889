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
        string folder = Path.GetFullPath(directory);
        var hosts = model.LoraHosts();
        foreach (var (_, host) in hosts) host.EnsureNoMixedScope("load an adapter");
        var loaders = new List<AdapterLoader>();
        var created = new List<(string Name, List<LoraAdapter> Adapters)>();
        try
        {
            loaders.Add(AdapterLoader.Read(model, folder, hosts, options: options));
            foreach (var subfolder in AdapterSubfolders(folder))
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
        foreach (var (_, host) in hosts) host.EnsureNoMixedScope($"load adapter '{name}'");
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

    /// <summary>Subfolders holding both adapter files, as PEFT's save_pretrained writes named adapters.</summary>
    private static IEnumerable<string> AdapterSubfolders(string folder) =>
        Directory.EnumerateDirectories(folder)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .Where(d => File.Exists(Path.Combine(d, AdapterConfig.FileName)) && File.Exists(Path.Combine(d, PeftKeys.TensorFileName)))
            .Order(StringComparer.Ordinal);

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
            return new LoraOptions(config.RankFor(path), config.AlphaFor(path), config.LoraDropout, config.UseRsLora);
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
        for (int i = 0; i < hosts.Count; i++) hosts[i].Host.AddNamed(name, adapters[i]);
        // As PEFT's load_adapter: the new adapter is not active, so it does not train.
        foreach (var (_, parameter) in adapters.SelectMany(a => a.ParameterNames)) parameter.requires_grad = false;
    }
}
