using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace LoraSdk.EndToEnd.Tests;

/// <summary>What the packed LoraSdk package holds and depends on.</summary>
[Collection(PackedLoraSdkCollection.Name)]
public sealed class PackageLayoutTests(PackedLoraSdk package)
{
    [Fact]
    public void Holds_the_runtime_the_tasks_and_the_build_files_in_both_build_folders()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();

        Assert.Contains("lib/net10.0/LoraSdk.dll", entries);
        Assert.Contains("tasks/netstandard2.0/LoraSdk.Build.dll", entries);
        string[] buildFiles = Directory.GetFiles(Path.Combine(BuildInfo.RepoRoot, "src", "LoraSdk", "build")).Select(Path.GetFileName).ToArray()!;
        Assert.Contains("LoraSdk.targets", buildFiles);
        foreach (string file in buildFiles)
        {
            Assert.Contains($"build/{file}", entries);
            Assert.Contains($"buildTransitive/{file}", entries);
        }
        // Nothing else in lib/ but the runtime and LoraSdk.Models: the task and generator assemblies must not become compile references.
        Assert.Equal(new[] { "lib/net10.0/LoraSdk.dll", "lib/net10.0/LoraSdk.Models.dll", "lib/net10.0/LoraSdk.Models.xml", "lib/net10.0/LoraSdk.xml" }.Order(StringComparer.Ordinal),
            entries.Where(e => e.StartsWith("lib/")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Holds_the_source_generator_as_an_analyzer_once_the_repository_has_one()
    {
        bool repoHasGenerator = File.Exists(Path.Combine(BuildInfo.RepoRoot, "generators", "LoraSdk.Generators", "LoraSdk.Generators.csproj"));
        using var zip = ZipFile.OpenRead(package.PackagePath);
        var analyzers = zip.Entries.Select(e => e.FullName).Where(e => e.StartsWith("analyzers/")).ToList();

        Assert.Equal(repoHasGenerator ? new[] { "analyzers/dotnet/cs/LoraSdk.Generators.dll" } : Array.Empty<string>(), analyzers);
    }

    [Fact]
    public void Depends_on_TorchSharp_cpu_by_default_and_on_no_repository_project()
    {
        XDocument nuspec = ReadNuspec();
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        var dependencies = metadata.Descendants(ns + "dependency")
            .ToDictionary(d => (string)d.Attribute("id")!, d => (string)d.Attribute("version")!);

        Assert.Equal("LoraSdk", (string?)metadata.Element(ns + "id"));
        Assert.Equal(package.Version, (string?)metadata.Element(ns + "version"));
        Assert.Equal(BuildInfo.TorchSharpVersion, dependencies["TorchSharp-cpu"]);
        Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("LoraSdk", StringComparison.Ordinal));
        Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("TorchSharp-cuda", StringComparison.Ordinal));
        Assert.All(metadata.Descendants(ns + "group"), g => Assert.Equal("net10.0", (string?)g.Attribute("targetFramework")));
        // ASP.NET Core comes with the LoraSdk.Serving package only, never to every LoraSdk user.
        Assert.Empty(metadata.Descendants(ns + "frameworkReference"));
    }

    [Fact]
    public void Carries_a_readme_and_the_usual_metadata()
    {
        XDocument nuspec = ReadNuspec();
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        using var zip = ZipFile.OpenRead(package.PackagePath);

        Assert.Equal("README.md", (string?)metadata.Element(ns + "readme"));
        Assert.NotNull(zip.GetEntry("README.md"));
        Assert.Equal("MIT", (string?)metadata.Element(ns + "license"));
        Assert.False(string.IsNullOrWhiteSpace((string?)metadata.Element(ns + "description")));
        Assert.Contains("lora", ((string?)metadata.Element(ns + "tags"))!.Split(' '));
        Assert.Equal("git", (string?)metadata.Element(ns + "repository")?.Attribute("type"));
    }

    [Fact]
    public void The_cuda_backend_uses_the_same_TorchSharp_version_as_the_cpu_dependency()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        using var reader = new StreamReader(zip.GetEntry("build/LoraSdk.Backend.targets")!.Open());
        Match version = Regex.Match(reader.ReadToEnd(), @"<LoraSdkTorchSharpVersion[^>]*>([^<]+)<");

        Assert.True(version.Success, "LoraSdk.Backend.targets sets no LoraSdkTorchSharpVersion");
        Assert.Equal(BuildInfo.TorchSharpVersion, version.Groups[1].Value);
    }

    [Fact]
    public void The_task_assembly_targets_netstandard_and_never_references_TorchSharp()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        using var stream = new MemoryStream();
        using (var entry = zip.GetEntry("tasks/netstandard2.0/LoraSdk.Build.dll")!.Open()) entry.CopyTo(stream);
        stream.Position = 0;
        using var pe = new PEReader(stream);
        MetadataReader md = pe.GetMetadataReader();
        var references = md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name)).ToList();

        Assert.Contains("netstandard", references);
        Assert.Contains("Microsoft.Build.Utilities.Core", references);
        Assert.DoesNotContain(references, r => r.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || r == "LoraSdk");
    }

    private XDocument ReadNuspec()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        using var stream = zip.GetEntry("LoraSdk.nuspec")!.Open();
        return XDocument.Load(stream);
    }
}
