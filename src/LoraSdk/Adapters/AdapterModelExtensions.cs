using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>Saving and loading a model's LoRA adapters as a HuggingFace PEFT folder (see docs/adapter-format.md).</summary>
public static class AdapterModelExtensions
{
    /// <summary>The tensor file's name inside an adapter folder (next to <see cref="AdapterConfig.FileName"/>).</summary>
    public const string WeightsFileName = PeftKeys.TensorFileName;

    /// <summary>
    /// Writes every adapter of the tree (and <see cref="AdapterSaveOptions.ModulesToSave"/>) to
    /// <paramref name="directory"/> as <c>adapter_config.json</c> + <c>adapter_model.safetensors</c>, atomically:
    /// an exception or a killed process leaves the previous adapter folder as it was.
    /// </summary>
    public static void SaveAdapter(this nn.Module model, string directory, AdapterSaveOptions? options = null) =>
        AdapterWriter.Save(model, directory, options);

    /// <summary>
    /// Loads an adapter folder written by <see cref="SaveAdapter"/> or Python PEFT's <c>save_pretrained</c>.
    /// Everything is validated first; on any error (<see cref="AdapterFormatException"/>,
    /// <see cref="FileNotFoundException"/>, <see cref="DirectoryNotFoundException"/>) the model is unchanged.
    /// A merged model is unmerged, loaded and merged again.
    /// </summary>
    public static void LoadAdapter(this nn.Module model, string directory) =>
        AdapterLoader.Load(model, directory);

    /// <summary>
    /// Loads the adapter that the build trained for <c>&lt;LoraFineTune Include="<paramref name="name"/>" /&gt;</c>
    /// from <see cref="ShippedAdapter.Directory"/> (next to the app). When it is not there, the
    /// <see cref="DirectoryNotFoundException"/> says where it looked and how the adapter gets there.
    /// </summary>
    public static void LoadShippedAdapter(this nn.Module model, string name)
    {
        string directory = ShippedAdapter.Directory(name);
        if (!ShippedAdapter.Exists(name))
            throw new DirectoryNotFoundException(
                $"No adapter '{name}' next to the app: {directory} holds no {AdapterConfig.FileName} + {WeightsFileName}. " +
                $"Build the project (its <LoraFineTune Include=\"{name}\" /> item trains the adapter and copies it there), or publish it with `dotnet publish`.");
        AdapterLoader.Load(model, directory);
    }
}
