namespace LoraSdk.Hosting;

/// <summary>A format, besides PEFT's, that a fine-tuning run can write its adapter in (each asked for by its own option).</summary>
public enum LoraAdapterExportFormat
{
    /// <summary>
    /// llama.cpp's GGUF (<c>LoRA:Gguf=true</c>): the GGUF LoRA adapter, the base model as GGUF and an Ollama
    /// <c>Modelfile</c>, for llama.cpp, LLamaSharp and Ollama.
    /// </summary>
    Gguf,
}
