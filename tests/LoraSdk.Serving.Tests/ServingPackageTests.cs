using System.IO.Compression;
using System.Xml.Linq;
using LoraSdk.EndToEnd.Tests;

namespace LoraSdk.Serving.Tests;

/// <summary>
/// The LoraSdk.Serving package, packed from this build with the real CLI (no build, so seconds): versioned like
/// LoraSdk, depending on LoraSdk of its own version and on the ASP.NET Core shared framework, holding only its own
/// assembly. (What LoraSdk's package holds is checked by the end-to-end PackageLayoutTests.)
/// </summary>
public sealed class ServingPackageTests : IDisposable
{
    private readonly string _feed = Directory.CreateTempSubdirectory("lorasdk-serving-pack-").FullName;

    public void Dispose() => Directory.Delete(_feed, recursive: true);

    [Fact]
    public void Packs_its_own_assembly_and_depends_on_LoraSdk_of_the_same_version_and_on_ASP_NET_Core()
    {
        // A plain pack: the version comes from the clock (<prefix>-dev.<UTC time>), which the LoraSdk dependency must match.
        DotNetCli.Run(BuildInfo.RepoRoot, TimeSpan.FromMinutes(3),
            "pack", Path.Combine(BuildInfo.RepoRoot, "src", "LoraSdk.Serving", "LoraSdk.Serving.csproj"),
            "--no-build", "-c", BuildInfo.Configuration, "-o", _feed, "-nodeReuse:false").ShouldSucceed();
        string package = Assert.Single(Directory.GetFiles(_feed, "LoraSdk.Serving.*.nupkg"));
        using var zip = ZipFile.OpenRead(package);
        XDocument nuspec;
        using (var stream = zip.GetEntry("LoraSdk.Serving.nuspec")!.Open()) nuspec = XDocument.Load(stream);
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        string version = (string)metadata.Element(ns + "version")!;

        Assert.Equal("LoraSdk.Serving", (string?)metadata.Element(ns + "id"));
        Assert.StartsWith(BuildInfo.LoraSdkVersionPrefix + "-", version);
        var dependencies = metadata.Descendants(ns + "dependency").ToDictionary(d => (string)d.Attribute("id")!, d => (string)d.Attribute("version")!);
        Assert.Equal(version, dependencies["LoraSdk"]);
        // All of LoraSdk's assets flow: its build targets and the [LoRA] generator too, as with a direct reference.
        var loraSdk = metadata.Descendants(ns + "dependency").Single(d => (string?)d.Attribute("id") == "LoraSdk");
        Assert.True(string.IsNullOrEmpty((string?)loraSdk.Attribute("exclude")), $"LoraSdk's assets excluded: {loraSdk.Attribute("exclude")}");
        Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("LoraSdk.", StringComparison.Ordinal)); // no LoraSdk.Models package exists
        Assert.All(metadata.Descendants(ns + "group"), g => Assert.Equal("net10.0", (string?)g.Attribute("targetFramework")));
        var frameworks = metadata.Descendants(ns + "frameworkReference").Select(f => (string)f.Attribute("name")!).ToList();
        Assert.Equal(["Microsoft.AspNetCore.App"], frameworks);

        var lib = zip.Entries.Select(e => e.FullName).Where(e => e.StartsWith("lib/", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        Assert.Equal(["lib/net10.0/LoraSdk.Serving.dll", "lib/net10.0/LoraSdk.Serving.xml"], lib);
        Assert.Equal("README.md", (string?)metadata.Element(ns + "readme"));
        Assert.NotNull(zip.GetEntry("README.md"));
        Assert.Equal("MIT", (string?)metadata.Element(ns + "license"));
    }
}
