using System.Globalization;
using LoraSdk.Hosting;
using LoraSdk.Shared;
using static TorchSharp.torch;

namespace LoraSdk.Models.Gguf;

/// <summary>
/// <c>LoRA:Gguf=true</c> for a <see cref="CausalLM"/>: writes into the adapter folder the GGUF LoRA adapter
/// (<c>adapter_model.gguf</c>, F32), the base model it applies to (<c>base_model.gguf</c>, <c>LoRA:GgufBaseType</c>) and an
/// Ollama <c>Modelfile</c> (<c>FROM ./base_model.gguf</c>, <c>ADAPTER ./adapter_model.gguf</c>). The base is written
/// from the model itself, not named by the folder it came from: llama.cpp and LLamaSharp only read GGUF, and a base
/// converted here is the one the adapter's tensor layout (the q/k row order) was written for, which the tests check
/// against llama.cpp; Ollama would otherwise convert a safetensors folder with its own converter.
/// </summary>
internal sealed class CausalLMGgufExporter : ILoraAdapterExporter
{
    /// <inheritdoc />
    public LoraAdapterExportFormat Format => LoraAdapterExportFormat.Gguf;

    /// <inheritdoc />
    public IReadOnlyList<string> FileNames => FineTuneContract.GgufFiles;

    /// <inheritdoc />
    public string? Refusal(nn.Module model, LoraFineTuningOptions options) => model is CausalLM causal
        ? causal.GgufExportRefusal()
        : $"{model.GetType().Name} is not a CausalLM (GGUF export writes decoder LLMs for llama.cpp)";

    /// <inheritdoc />
    public void Export(nn.Module model, LoraAdapterExportContext context)
    {
        var causal = (CausalLM)model;
        var baseType = Enum.Parse<GgufTensorType>(context.Options.GgufBaseType);
        context.WriteFile(FineTuneContract.GgufAdapterFile, path => causal.ExportGgufAdapter(path));
        // The adapters switched off: ExportGguf then writes the base weights alone (it would merge an active adapter in).
        using (causal.DisableLoRA()) context.WriteFile(FineTuneContract.GgufBaseModelFile, path => causal.ExportGguf(path, baseType));
        context.WriteFile(FineTuneContract.OllamaModelfile, path => File.WriteAllText(path, Modelfile(causal, context.Options, baseType)));
    }

    /// <summary>The Modelfile: paths relative to its own folder (Ollama resolves them so), so the folder can move as a whole.</summary>
    internal static string Modelfile(CausalLM model, LoraFineTuningOptions options, GgufTensorType baseType)
    {
        string source = options.BaseModel ?? model.SourceFolder ?? "a CausalLM built in code";
        var adapted = model.ActiveLoraAdapters().Select(a => a.Adapter).OfType<LinearLoraAdapter>().First();
        return string.Join('\n',
            "# Ollama Modelfile written by LoraSdk (LoRA:Gguf=true): ollama create <name> -f Modelfile",
            $"# Base model: {source}, converted to GGUF ({baseType}); LoRA adapter: rank {adapted.Rank}, scaling {adapted.Scaling.ToString("G6", CultureInfo.InvariantCulture)}.",
            "# llama.cpp / LLamaSharp: load base_model.gguf with adapter_model.gguf as its LoRA adapter (scale 1).",
            $"FROM ./{FineTuneContract.GgufBaseModelFile}",
            $"ADAPTER ./{FineTuneContract.GgufAdapterFile}",
            "");
    }
}
