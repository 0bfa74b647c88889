using System.Reflection;

namespace LoraSdk.Build.Tests.Support;

/// <summary>
/// TorchSharp's libLibTorchSharp.so exactly as NuGet restored it (the build patches only output copies,
/// never the package folder), so tests patch real-world input. Tests work on copies, never on this file.
/// </summary>
internal static class TorchSharpNativeLibrary
{
    public const string Version = "GLIBCXX_3.4.32";

    public static string PackagePath { get; } = Locate();

    private static string Locate()
    {
        var metadata = typeof(TorchSharpNativeLibrary).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(a => a.Key, a => a.Value);
        string path = Path.Combine(metadata["NuGetPackageRoot"]!, "torchsharp", metadata["TorchSharpVersion"]!,
            "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(path)) throw new FileNotFoundException($"TorchSharp's native library was not restored to {path}", path);
        return path;
    }

    /// <summary>Copies the library into <paramref name="folder"/> and returns the copy's path.</summary>
    public static string CopyTo(TempFolder folder, string name = "libLibTorchSharp.so")
    {
        string copy = Path.Combine(folder.Path, name);
        File.Copy(PackagePath, copy);
        return copy;
    }
}
