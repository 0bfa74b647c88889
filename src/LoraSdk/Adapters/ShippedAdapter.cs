namespace LoraSdk;

/// <summary>
/// Where an app finds the adapters its build trained: the <c>LoraFineTune</c> targets copy the adapter of
/// <c>&lt;LoraFineTune Include="name" /&gt;</c> to <c>lora/&lt;name&gt;/</c> in the build output and the publish
/// folder, so the app looks next to itself (<see cref="AppContext.BaseDirectory"/>), never in <c>obj/</c> or the
/// working directory: <c>dotnet bin/…/App.dll</c> and a published copy behave the same from any folder.
/// </summary>
public static class ShippedAdapter
{
    /// <summary>The folder under the app's folder that holds one sub-folder per adapter.</summary>
    public const string FolderName = "lora";

    /// <summary>The adapter folder of the item <paramref name="name"/>: <c>&lt;app folder&gt;/lora/&lt;name&gt;</c>.</summary>
    public static string Directory(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Path.Combine(AppContext.BaseDirectory, FolderName, name);
    }

    /// <summary>True when the build has put the adapter <paramref name="name"/> next to the app.</summary>
    public static bool Exists(string name) =>
        File.Exists(Path.Combine(Directory(name), AdapterConfig.FileName))
        && File.Exists(Path.Combine(Directory(name), AdapterModelExtensions.WeightsFileName));
}
