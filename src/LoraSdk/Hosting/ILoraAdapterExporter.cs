using static TorchSharp.torch;

namespace LoraSdk.Hosting;

/// <summary>
/// Writes a trained model's adapter in another format once the fine-tuning service has saved the PEFT adapter.
/// Register implementations in DI (<c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;ILoraAdapterExporter, MyExporter&gt;())</c>);
/// the service uses the first registered exporter of the format an option asks for (<see cref="LoraAdapterExportFormat"/>)
/// that accepts the model, and refuses the run before training when none does. Every file goes through
/// <see cref="LoraAdapterExportContext.WriteFile"/> (a temporary file, then a rename); a failure ends the run with an
/// error naming the file and leaves the PEFT adapter as written.
/// </summary>
public interface ILoraAdapterExporter
{
    /// <summary>The format this exporter writes.</summary>
    LoraAdapterExportFormat Format { get; }

    /// <summary>
    /// Every file name (in the adapter folder) this exporter may write. Before an export these are deleted, and after a
    /// run that does not ask for the format too, so that a file of an earlier run never sits beside a newer adapter.
    /// </summary>
    IReadOnlyList<string> FileNames { get; }

    /// <summary>
    /// Null when <paramref name="model"/> can be exported exactly with <paramref name="options"/>; else why not (one
    /// sentence, shown to the user). Asked once the model is built, before the first training step.
    /// </summary>
    string? Refusal(nn.Module model, LoraFineTuningOptions options);

    /// <summary>Writes the files for the trained <paramref name="model"/> through <paramref name="context"/>.</summary>
    void Export(nn.Module model, LoraAdapterExportContext context);
}
