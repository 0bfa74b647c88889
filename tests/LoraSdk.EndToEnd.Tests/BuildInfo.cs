using System.Reflection;

namespace LoraSdk.EndToEnd.Tests;

/// <summary>Facts about the repository build, recorded by the test project file.</summary>
internal static class BuildInfo
{
    public static string RepoRoot => Get(nameof(RepoRoot));
    public static string Configuration => Get(nameof(Configuration));
    public static string LoraSdkVersionPrefix => Get(nameof(LoraSdkVersionPrefix));
    public static string TorchSharpVersion => Get(nameof(TorchSharpVersion));

    /// <summary>The machine's NuGet package folder: consumers use it as a fallback folder so TorchSharp is not downloaded again.</summary>
    public static string NuGetPackageRoot => Get(nameof(NuGetPackageRoot));

    private static string Get(string key) =>
        typeof(BuildInfo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"no {key} recorded");
}
