using System.IO.Compression;
using System.Text.RegularExpressions;

namespace LoraSdk.EndToEnd.Tests;

/// <summary>
/// Local packs get a new version each time, so NuGet's cache (keyed by name + version) cannot hand a project an
/// older pack: pack, pack again with a change, and a project made from the template (packed beside the first)
/// restores the second. Release builds pack the clean version.
/// </summary>
[Collection(PackedLoraSdkCollection.Name)]
public sealed partial class PackageUpdateTests(PackedLoraSdk package)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public void Versions_are_dev_stamps_when_packing_and_clean_for_a_release()
    {
        Assert.Equal($"{BuildInfo.LoraSdkVersionPrefix}-dev", PackageVersion());
        Assert.Matches(DevVersion(), PackageVersion("-p:_IsPacking=true"));
        Assert.Equal(BuildInfo.LoraSdkVersionPrefix, PackageVersion("-p:_IsPacking=true", "-p:LoraSdkRelease=true"));
    }

    [Fact]
    public void A_project_made_from_the_template_restores_the_newer_of_two_local_packs()
    {
        string feed = Path.Combine(package.Root, "dev-feed");
        string first = Pack(feed, "first pack");
        DotNetCli.Run(BuildInfo.RepoRoot, CommandTimeout, "pack", Path.Combine(BuildInfo.RepoRoot, "templates", "LoraSdk.Templates.csproj"),
            "--no-build", "-c", BuildInfo.Configuration, "-o", feed, "-nodeReuse:false").ShouldSucceed();
        string reference = TemplateReference(feed);
        Assert.Equal($"{BuildInfo.LoraSdkVersionPrefix}-dev.*", reference); // floats over local dev packs

        string project = Path.Combine(package.Root, "updater");
        Directory.CreateDirectory(project);
        NuGetConfig.Write(project, feed);
        string packages = Path.Combine(package.Root, "updater-packages");
        File.WriteAllText(Path.Combine(project, "updater.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <RestorePackagesPath>{packages}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{BuildInfo.NuGetPackageRoot}</RestoreAdditionalProjectFallbackFolders>
              </PropertyGroup>
              <ItemGroup><PackageReference Include="LoraSdk" Version="{reference}" /></ItemGroup>
            </Project>
            """);
        DotNetCli.Run(project, CommandTimeout, "restore", "-nodeReuse:false").ShouldSucceed();
        Assert.Equal(first, RestoredVersion(project));

        string second = Pack(feed, "second pack");
        // Same prefix, fixed-width stamps: ordinal order is NuGet's version order.
        Assert.True(string.CompareOrdinal(second, first) > 0, $"{second} should sort after {first}");
        DotNetCli.Run(project, CommandTimeout, "restore", "--force", "-nodeReuse:false").ShouldSucceed();
        Assert.Equal(second, RestoredVersion(project));
        string nuspec = File.ReadAllText(Path.Combine(packages, "lorasdk", second, "lorasdk.nuspec"));
        Assert.Contains("second pack", nuspec); // the changed package, not a cached copy of the first
    }

    /// <summary>Packs LoraSdk with its default (dev) version and a marker description; returns the version.</summary>
    private static string Pack(string feed, string description)
    {
        var before = Directory.Exists(feed) ? Directory.GetFiles(feed, "LoraSdk.*.nupkg").ToHashSet() : [];
        // The version stamp has one-second resolution.
        Thread.Sleep(TimeSpan.FromSeconds(1.1));
        DotNetCli.Run(BuildInfo.RepoRoot, CommandTimeout, "pack", Path.Combine(BuildInfo.RepoRoot, "src", "LoraSdk", "LoraSdk.csproj"),
            "--no-build", "-c", BuildInfo.Configuration, "-o", feed, $"-p:Description={description}", "-nodeReuse:false").ShouldSucceed();
        string created = Assert.Single(Directory.GetFiles(feed, "LoraSdk.*.nupkg"),
            f => !before.Contains(f) && !Path.GetFileName(f).StartsWith("LoraSdk.Templates.", StringComparison.Ordinal));
        string version = Path.GetFileNameWithoutExtension(created)["LoraSdk.".Length..];
        Assert.Matches(DevVersion(), version);
        return version;
    }

    private static string TemplateReference(string feed)
    {
        string template = Assert.Single(Directory.GetFiles(feed, "LoraSdk.Templates.*.nupkg"));
        using var zip = ZipFile.OpenRead(template);
        using var reader = new StreamReader(zip.GetEntry("content/lora-project/Company.LoraProject.csproj")!.Open());
        Match reference = Regex.Match(reader.ReadToEnd(), """<PackageReference Include="LoraSdk" Version="([^"]+)" />""");
        Assert.True(reference.Success, "the template's csproj has no LoraSdk reference");
        return reference.Groups[1].Value;
    }

    private static string RestoredVersion(string project)
    {
        Match match = Regex.Match(File.ReadAllText(Path.Combine(project, "obj", "project.assets.json")), "\"LoraSdk/([^\"]+)\"");
        Assert.True(match.Success, "LoraSdk is not in project.assets.json");
        return match.Groups[1].Value;
    }

    private static string PackageVersion(params string[] properties) =>
        DotNetCli.Run(BuildInfo.RepoRoot, CommandTimeout, ["msbuild", Path.Combine(BuildInfo.RepoRoot, "src", "LoraSdk", "LoraSdk.csproj"),
            "-getProperty:PackageVersion", "-nodeReuse:false", .. properties]).ShouldSucceed().Output.Trim();

    [GeneratedRegex($@"^\d+\.\d+\.\d+-dev\.\d{{14}}$")]
    private static partial Regex DevVersion();
}
