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
    /// Loads an adapter folder written by <see cref="SaveAdapter"/> or Python PEFT's <c>save_pretrained</c>: the
    /// root into the default adapter (rank, alpha and rsLoRA must match the model's), and each adapter subfolder
    /// (PEFT's multi-adapter layout) into the named adapter of that name, created if the model lacks it. A
    /// subfolder whose name is no adapter name (<c>v1.0</c>, <c>old copy</c>) is skipped with a warning; one named
    /// <c>default</c>, or holding one adapter file without the other, is an error naming it.
    /// Everything is validated first; on any error (<see cref="AdapterFormatException"/>,
    /// <see cref="FileNotFoundException"/>, <see cref="DirectoryNotFoundException"/>) the model is unchanged.
    /// A merged model is unmerged, loaded and merged again.
    /// </summary>
    public static void LoadAdapter(this nn.Module model, string directory) =>
        MultiAdapterFolders.Load(model, directory);

    /// <summary><see cref="LoadAdapter(nn.Module, string)"/> with settings, e.g. to accept NaN/Inf values.</summary>
    public static void LoadAdapter(this nn.Module model, string directory, AdapterLoadOptions options) =>
        MultiAdapterFolders.Load(model, directory, options);

    /// <summary>
    /// Loads like <see cref="LoadAdapter(nn.Module, string)"/>, but reports a missing, unreadable or unfitting
    /// adapter folder as a one-line <paramref name="problem"/> instead of throwing (the model is then unchanged):
    /// for programs that should tell the user what is wrong and how to rebuild, not show a stack trace. It never
    /// throws for anything the folder holds.
    /// </summary>
    public static bool TryLoadAdapter(this nn.Module model, string directory, out string problem, AdapterLoadOptions? options = null)
    {
        try
        {
            MultiAdapterFolders.Load(model, directory, options);
            problem = "";
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            problem = e.Message;
            return false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever the folder holds, the caller gets a line, never a crash; the type says it was unexpected.
            problem = $"{directory}: {e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// Loads one adapter folder as a new adapter called <paramref name="name"/> beside the model's others (PEFT's
    /// <c>load_adapter(dir, adapter_name)</c>): each target gets the rank and alpha the folder's config gives it
    /// (<c>rank_pattern</c>/<c>alpha_pattern</c> included), so it need not match how the model was built. The
    /// folder must cover every adapted layer and hold LoRA tensors only. It does not become active.
    /// </summary>
    public static void LoadAdapter(this nn.Module model, string directory, string name) =>
        MultiAdapterFolders.LoadNamed(model, directory, name);

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
        MultiAdapterFolders.Load(model, directory);
    }
}
