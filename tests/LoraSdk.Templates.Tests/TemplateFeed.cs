namespace LoraSdk.Templates.Tests;

/// <summary>
/// Shared by every test: LoraSdk packed into a folder feed (<see cref="PackedLoraSdk"/>), the template package
/// packed beside it with the same version, and the template installed into a throw-away hive. Projects generated
/// under <see cref="Root"/> restore from that feed through the NuGet.config written there.
/// </summary>
public sealed class TemplateFeed : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);
    private readonly PackedLoraSdk _sdk = new();

    public TemplateFeed()
    {
        DotNetCli.Run(BuildInfo.RepoRoot, CommandTimeout,
            "pack", Path.Combine(BuildInfo.RepoRoot, "templates", "LoraSdk.Templates.csproj"),
            "-c", BuildInfo.Configuration, "-o", _sdk.Feed, $"-p:PackageVersion={Version}", "-nodeReuse:false").ShouldSucceed();
        TemplatePackage = Path.Combine(_sdk.Feed, $"LoraSdk.Templates.{Version}.nupkg");
        Assert.True(File.Exists(TemplatePackage), $"pack did not produce {TemplatePackage}");

        Hive = Path.Combine(Root, "hive");
        DotNetCli.Run(Root, CommandTimeout, "new", "install", TemplatePackage, "--debug:custom-hive", Hive).ShouldSucceed();

        // Its own package folder, so no cache holds a stale LoraSdk; the machine's as a fallback, so TorchSharp
        // and the MiniLM package are not downloaded again.
        File.WriteAllText(Path.Combine(Root, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(Root, "packages")}" />
              </config>
              <packageSources>
                <clear />
                <add key="lorasdk-feed" value="{_sdk.Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{BuildInfo.NuGetPackageRoot}" />
              </fallbackPackageFolders>
            </configuration>
            """);
    }

    public string Root => _sdk.Root;

    public string Version => _sdk.Version;

    public string Hive { get; }

    public string TemplatePackage { get; }

    /// <summary>Runs <c>dotnet new lora-project</c> with <paramref name="options"/> into <c>Root/output</c>.</summary>
    internal DotNetCli.Result New(string output, params string[] options) =>
        DotNetCli.Run(Root, CommandTimeout, ["new", "lora-project", "-o", Path.Combine(Root, output), "--debug:custom-hive", Hive, .. options]);

    public void Dispose() => _sdk.Dispose();
}
