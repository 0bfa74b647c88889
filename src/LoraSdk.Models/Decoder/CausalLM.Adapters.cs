using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

public sealed partial class CausalLM
{
    /// <summary>
    /// Loads a PEFT adapter folder as <c>PeftModel.from_pretrained</c> does: the projections its <c>target_modules</c>
    /// name (PEFT's matching: a name or dotted suffix of the module path, <c>all-linear</c>, or one regex matched against the
    /// whole path) carry adapters with its rank and alpha (<c>rank_pattern</c>/<c>alpha_pattern</c> included), and no
    /// other projection does, whatever the model was built with. Everything else is <see cref="AdapterModelExtensions.LoadAdapter(TorchSharp.torch.nn.Module, string)"/>'s:
    /// keys and shapes are checked, and on any error the model is left as it was (its previous adapters restored).
    /// </summary>
    /// <exception cref="AdapterFormatException">The config or tensors do not fit; the message names the file and key.</exception>
    /// <exception cref="InvalidOperationException">The model is merged, quantized, holds named adapters or is in a per-row scope: re-targeting would change those.</exception>
    public void LoadAdapter(string folder)
    {
        var (configPath, _) = AdapterLoader.Files(folder);
        var config = AdapterLoader.ReadConfig(configPath);
        var selected = TargetSelector(config, configPath);

        // Plan first: which layers lose their adapter and which get a new one (with the folder's options).
        var plan = new List<(string Path, nn.Module Owner, string Name, Linear Layer, LoraAdapter? Host, LoraOptions? Options)>();
        foreach (var (path, owner, name, layer) in Projections().ToList()) // attaching changes the owners' children
        {
            LoraAdapter? host = LoraRouter.TryGetAdapter(layer, out var current) ? current.Host : null;
            LoraOptions? options = selected(path) ? new LoraOptions(config.RankFor(path), config.AlphaFor(path), config.LoraDropout, config.UseRsLora) : null;
            bool keep = options is null ? host is null
                : host is not null && host.Options.Rank == options.Rank && host.Options.Alpha == options.Alpha && host.Options.UseRsLoRA == options.UseRsLoRA;
            if (keep) continue;
            bool quantized = host?.QuantizedBase is not null || (LoraRouter.TryGetStandIn(layer, out var standIn) && standIn.QuantizedBase is not null);
            if (quantized)
                throw new InvalidOperationException(
                    $"{configPath}: the adapter's target_modules need '{path}' {(options is null ? "without an adapter" : "adapted with its rank and alpha")}, but the model's base is quantized " +
                    "and a quantized layer cannot be re-targeted. Load the model with these TargetModules, Rank and Alpha (CausalLMLoadOptions) and then the adapter.");
            plan.Add((path, owner, name, layer, host, options));
        }

        var removed = new List<LoraAdapter>();
        var added = new List<LoraAdapter>();
        try
        {
            foreach (var (_, owner, name, layer, host, options) in plan)
            {
                if (host is not null)
                {
                    host.Detach();
                    removed.Add(host);
                }
                if (options is null) continue;
                var adapter = LoraAdapter.Attach(owner, name, layer, options);
                adapter.train(training);
                added.Add(adapter);
            }
            AdapterModelExtensions.LoadAdapter(this, folder);
        }
        catch
        {
            foreach (var adapter in added)
            {
                adapter.Detach();
                adapter.Dispose();
            }
            foreach (var adapter in removed) adapter.Reattach();
            throw;
        }
        foreach (var adapter in removed) adapter.Dispose();
    }

    /// <summary>
    /// Saves the adapters as a PEFT folder (<see cref="AdapterModelExtensions.SaveAdapter"/>), with PEFT's
    /// <c>task_type</c> <c>CAUSAL_LM</c> and, when <paramref name="options"/> leave them unset, the folder the model was
    /// loaded from as <c>base_model_name_or_path</c> (as transformers records a local path), so Python's
    /// <c>PeftModel.from_pretrained</c> builds a <c>PeftModelForCausalLM</c>.
    /// </summary>
    public void SaveAdapter(string directory, AdapterSaveOptions? options = null)
    {
        options ??= new AdapterSaveOptions();
        AdapterModelExtensions.SaveAdapter(this, directory, options with
        {
            TaskType = options.TaskType ?? "CAUSAL_LM",
            BaseModelNameOrPath = options.BaseModelNameOrPath ?? SourceFolder,
        });
    }

    /// <summary>The HuggingFace folder the model was loaded from (as given to <see cref="Load"/>), or null for a model built from a config.</summary>
    public string? SourceFolder { get; private set; }

    /// <summary>PEFT names of the projections that carry an adapter now (e.g. q_proj, v_proj), in model order.</summary>
    public IReadOnlyList<string> AdaptedModules() =>
        Projections().Where(p => LoraRouter.TryGetAdapter(p.Layer, out _)).Select(p => p.Name).Distinct().ToList();

    /// <summary>Every adaptable projection: its module path, owner, name and layer.</summary>
    private IEnumerable<(string Path, nn.Module Owner, string Name, Linear Layer)> Projections()
    {
        for (int i = 0; i < model.Layers.Count; i++)
        {
            foreach (var owner in new nn.Module[] { model.Layers[i].SelfAttention, model.Layers[i].Mlp })
            {
                string prefix = $"model.layers.{i}.{(owner is DecoderAttention ? "self_attn" : "mlp")}.";
                foreach (var (name, child) in owner.named_children())
                    if (child is Linear linear && CausalLMLoadOptions.AllTargetModules.Contains(name))
                        yield return (prefix + name, owner, name, linear);
            }
        }
    }

    /// <summary>PEFT's target matching for <paramref name="config"/>'s target_modules, refusing names no projection has.</summary>
    private static Func<string, bool> TargetSelector(AdapterConfig config, string configPath)
    {
        var entries = config.TargetModules;
        if (entries.Count == 0) throw new AdapterFormatException(configPath, "target_modules", "is empty: the adapter names no module.");
        if (entries is ["all-linear"]) return _ => true; // PEFT: every Linear but the output head
        if (entries.Count == 1 && entries[0].IndexOfAny(['*', '(', '[', '|', '\\', '^', '$', '+', '?']) >= 0)
        {
            Regex regex;
            try
            {
                regex = new Regex($"^(?:{entries[0]})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw new AdapterFormatException(configPath, "target_modules", $"'{entries[0]}' is not a valid regular expression: {e.Message}", e);
            }
            return regex.IsMatch;
        }
        var unknown = entries.Where(e => !CausalLMLoadOptions.AllTargetModules.Any(n => e == n || e.EndsWith("." + n, StringComparison.Ordinal))).ToList();
        if (unknown.Count > 0)
            throw new AdapterFormatException(configPath, "target_modules",
                $"names {string.Join(", ", unknown)}; LoraSdk's decoder adapts only {string.Join(", ", CausalLMLoadOptions.AllTargetModules)} (embeddings and lm_head adapters are not supported).");
        return path => entries.Any(e => path == e || path.EndsWith("." + e, StringComparison.Ordinal));
    }
}
