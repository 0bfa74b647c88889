namespace LoraSdk.EndToEnd.Tests;

/// <summary>
/// The LoraSdk package packed from this repository's build into a folder feed in a temp directory,
/// with a unique prerelease version so no NuGet cache on the machine can hold a stale copy.
/// </summary>
public sealed class PackedLoraSdk : IDisposable
{
    public PackedLoraSdk()
    {
        Root = Path.Combine(Path.GetTempPath(), "lorasdk-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Feed = Path.Combine(Root, "feed");
        Directory.CreateDirectory(Feed);
        Version = $"{BuildInfo.LoraSdkVersionPrefix}-e2e.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        DotNetCli.Run(BuildInfo.RepoRoot, TimeSpan.FromMinutes(3),
            "pack", Path.Combine(BuildInfo.RepoRoot, "src", "LoraSdk", "LoraSdk.csproj"),
            "--no-build", "-c", BuildInfo.Configuration, "-o", Feed, $"-p:PackageVersion={Version}", "-nodeReuse:false")
            .ShouldSucceed();
        PackagePath = Path.Combine(Feed, $"LoraSdk.{Version}.nupkg");
        Assert.True(File.Exists(PackagePath), $"pack did not produce {PackagePath}");
    }

    /// <summary>A temp folder for this test run; everything the tests make goes under it.</summary>
    public string Root { get; }

    public string Feed { get; }

    public string Version { get; }

    public string PackagePath { get; }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Packs once for every end-to-end test class; the classes run one after the other (each drives the CLI).</summary>
[CollectionDefinition(Name)]
public sealed class PackedLoraSdkCollection : ICollectionFixture<PackedLoraSdk>
{
    public const string Name = "packed LoraSdk";
}
