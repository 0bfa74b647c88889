using LoraSdk.Testing;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Native;

/// <summary>The build patched the copy of libLibTorchSharp.so beside this test assembly exactly when needed.</summary>
public class OutputNativeLibraryTests
{
    private const string Version = "GLIBCXX_3.4.32";

    [Fact]
    public void TheOutputCopyRequiresTheNewLibstdcxxOnlyWhereThisMachineHasIt()
    {
        using var loaded = ones(1); // makes sure TorchSharp (and with it libstdc++) is loaded
        bool machineDefines = ReferenceElfReader.ContainsString(File.ReadAllBytes(LoadedLibraries.PathOf("libstdc++.so.6")), Version);
        byte[] output = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"));

        var need = Assert.Single(ReferenceElfReader.VersionNeeds(output), n => n.Version == Version);

        // Patched (weak) where the machine lacks the version; untouched (strong) where it has it.
        Assert.Equal(!machineDefines, need.IsWeak);
    }
}
