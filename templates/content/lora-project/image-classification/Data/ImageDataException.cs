namespace Company.LoraProject.Data;

/// <summary>
/// Bad image data, found before training starts. The message names the file or folder and is in MSBuild's
/// format (<c>path: error LORA230: problem</c>), so `dotnet build` shows it as an error on that file.
/// </summary>
public sealed class ImageDataException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: error {Code}: {problem}", inner)
{
    public const string Code = "LORA230";

    public string Path { get; } = path;
}
