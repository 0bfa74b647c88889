using LoraSdk.Build.Native;
using LoraSdk.Testing;

namespace LoraSdk.Build.Tests.Native;

/// <summary>Finding this machine's libstdc++ and reading the versions it defines.</summary>
public sealed class SystemLibraryTests
{
    private static readonly string LibraryPath =
        SystemLibraryLocator.Find("libstdc++.so.6") ?? throw new InvalidOperationException("libstdc++.so.6 not found on this machine");

    [Fact]
    public void TheLocatorFindsTheLibstdcxxThisProcessLoaded()
    {
        // The .NET runtime itself links libstdc++, so the loader's choice is in this process's memory map.
        string loaded = LoadedLibraries.PathOf("libstdc++.so.6");
        Assert.Equal(File.ReadAllBytes(loaded), File.ReadAllBytes(LibraryPath));
    }

    [Fact]
    public void Gcc12LibstdcxxVersionsAreDefined()
    {
        // Debian 12 (GCC 12) is the oldest libstdc++ TorchSharp 0.107 runs on once patched.
        Assert.True(ElfVersionPatcher.DefinesVersion(LibraryPath, "GLIBCXX_3.4.30"));
        Assert.True(ElfVersionPatcher.DefinesVersion(LibraryPath, "CXXABI_1.3.13"));
    }

    [Theory]
    [InlineData("GLIBCXX_3.4.29")]
    [InlineData("GLIBCXX_3.4.31")]
    [InlineData("GLIBCXX_3.4.32")]
    [InlineData("GLIBCXX_3.4.33")]
    [InlineData("GLIBCXX_3.4.40")]
    [InlineData("CXXABI_1.3.15")]
    public void DefinesVersionAgreesWithAScanOfTheLibrarysStrings(string version)
    {
        bool inStrings = ReferenceElfReader.ContainsString(File.ReadAllBytes(LibraryPath), version);
        Assert.Equal(inStrings, ElfVersionPatcher.DefinesVersion(LibraryPath, version));
    }

    [Fact]
    public void ARequirementIsNotADefinition()
    {
        // libLibTorchSharp.so needs GLIBCXX versions but defines none of them.
        string torch = Support.TorchSharpNativeLibrary.PackagePath;
        Assert.True(ElfVersionPatcher.RequiresVersion(torch, "GLIBCXX_3.4.30"));
        Assert.False(ElfVersionPatcher.DefinesVersion(torch, "GLIBCXX_3.4.30"));
    }
}
