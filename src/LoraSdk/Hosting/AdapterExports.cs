using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace LoraSdk.Hosting;

/// <summary>
/// The exports a run asked for (<c>LoRA:Gguf</c>, …), each matched to a registered <see cref="ILoraAdapterExporter"/>
/// that accepts the model before training starts, and written after the PEFT adapter is saved.
/// </summary>
internal sealed class AdapterExports
{
    private readonly IReadOnlyList<ILoraAdapterExporter> _chosen;
    private readonly IReadOnlyList<ILoraAdapterExporter> _unused;

    private AdapterExports(IReadOnlyList<ILoraAdapterExporter> chosen, IReadOnlyList<ILoraAdapterExporter> unused)
    {
        _chosen = chosen;
        _unused = unused;
    }

    /// <summary>The formats <paramref name="options"/> ask for, with the option that asks.</summary>
    public static IEnumerable<(LoraAdapterExportFormat Format, string Option)> Requested(LoraFineTuningOptions options)
    {
        if (options.Gguf) yield return (LoraAdapterExportFormat.Gguf, nameof(options.Gguf));
    }

    /// <summary>
    /// Picks, for each requested format, the first registered exporter that accepts <paramref name="model"/>; throws an
    /// <see cref="OptionRefusedException"/> (LORA210, pointing at what set the option) when none does.
    /// </summary>
    public static AdapterExports Choose(nn.Module model, string modelName, LoraFineTuningOptions options,
        IEnumerable<ILoraAdapterExporter> registered, IConfiguration configuration)
    {
        var all = registered.ToList();
        var chosen = new List<ILoraAdapterExporter>();
        foreach (var (format, option) in Requested(options))
        {
            var candidates = all.Where(e => e.Format == format).ToList();
            var refusals = candidates.Select(e => (Exporter: e, Refusal: e.Refusal(model, options))).ToList();
            if (refusals.FirstOrDefault(r => r.Refusal is null).Exporter is { } accepted)
            {
                chosen.Add(accepted);
                continue;
            }
            string key = $"{LoraFineTuningOptions.SectionName}:{option}";
            string why = candidates.Count == 0
                ? $"no {format} exporter is registered, so {modelName} cannot be written as {format}"
                : string.Join("; ", refusals.Select(r => $"{r.Exporter.GetType().Name}: {r.Refusal}"));
            throw new OptionRefusedException(ConfigurationOrigin.ErrorLine(configuration, key,
                $"{key} = true: {why}. {Hint(format)} or set {key}=false; nothing was trained."));
        }
        return new AdapterExports(chosen, all.Where(e => !chosen.Contains(e)).ToList());
    }

    /// <summary>
    /// Writes every chosen export into <paramref name="adapterDirectory"/> (the saved PEFT adapter), after deleting the
    /// files of earlier runs: those of the chosen exporters (a failed export must not leave an old file beside the new
    /// adapter) and those of the registered exporters this run did not ask for.
    /// </summary>
    public void Write(nn.Module model, string adapterDirectory, LoraFineTuningOptions options, ILogger logger)
    {
        foreach (var exporter in _unused.Concat(_chosen))
            foreach (string name in exporter.FileNames)
            {
                // A process killed while writing leaves the hidden temporary file, which each save would carry over.
                foreach (string leftover in Directory.EnumerateFiles(adapterDirectory, $".{name}.tmp-*")) File.Delete(leftover);
                string stale = Path.Combine(adapterDirectory, name);
                if (!File.Exists(stale)) continue;
                File.Delete(stale);
                if (!_chosen.Contains(exporter)) logger.LogInformation("Deleted {File}: written by an earlier run with {Format} export, which this run does not ask for", stale, exporter.Format);
            }
        foreach (var exporter in _chosen)
        {
            exporter.Export(model, new LoraAdapterExportContext(adapterDirectory, options, exporter.FileNames));
            logger.LogInformation("{Format} export: {Files}", exporter.Format,
                string.Join(", ", exporter.FileNames.Select(n => Path.Combine(adapterDirectory, n)).Where(File.Exists)));
        }
    }

    private static string Hint(LoraAdapterExportFormat format) => format switch
    {
        LoraAdapterExportFormat.Gguf => "GGUF export is for decoder LLMs: register LoraSdk.Models' services.AddLoraGgufExport() for a CausalLM",
        _ => $"Register an ILoraAdapterExporter for {format}",
    };
}
