using LoraSdk.Build.Native;
using LoraSdk.Build.Tasks;
using LoraSdk.Build.Tests.Support;
using LoraSdk.Testing;
using Microsoft.Build.Utilities;

namespace LoraSdk.Build.Tests.Tasks;

/// <summary>
/// The MSBuild task decides from a libstdc++ (here fake ones that define exactly the versions chosen)
/// whether the output copies need the patch.
/// </summary>
public sealed class PatchNativeLibraryVersionsTests : IDisposable
{
    private const string Version = TorchSharpNativeLibrary.Version;
    private readonly TempFolder _folder = new();
    private readonly FakeBuildEngine _engine = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void TheFakeLibrariesDefineExactlyTheirVersions()
    {
        string older = OlderLibstdcxx(), newer = NewerLibstdcxx();
        Assert.True(ElfVersionPatcher.DefinesVersion(older, "GLIBCXX_3.4.30"));
        Assert.False(ElfVersionPatcher.DefinesVersion(older, Version));
        Assert.True(ElfVersionPatcher.DefinesVersion(newer, Version));
    }

    [Fact]
    public void PatchesTheCopiesWhenTheSystemLibraryLacksTheVersion()
    {
        string first = TorchSharpNativeLibrary.CopyTo(_folder, "a.so"), second = TorchSharpNativeLibrary.CopyTo(_folder, "b.so");
        var task = NewTask(OlderLibstdcxx(), first, second);

        Assert.True(task.Execute());

        Assert.Equal([first, second], task.PatchedFiles.Select(f => f.ItemSpec));
        Assert.False(ElfVersionPatcher.RequiresVersion(first, Version));
        Assert.False(ElfVersionPatcher.RequiresVersion(second, Version));
        Assert.Empty(_engine.Warnings);
        Assert.Empty(_engine.Errors);
    }

    [Fact]
    public void LeavesTheCopiesAloneWhenTheSystemLibraryDefinesTheVersion()
    {
        string library = TorchSharpNativeLibrary.CopyTo(_folder);
        var task = NewTask(NewerLibstdcxx(), library);

        Assert.True(task.Execute());

        Assert.Empty(task.PatchedFiles);
        Assert.Equal(File.ReadAllBytes(TorchSharpNativeLibrary.PackagePath), File.ReadAllBytes(library));
        Assert.Empty(_engine.Warnings);
    }

    [Fact]
    public void OnThisMachinePatchesExactlyWhenItsLibstdcxxLacksTheVersion()
    {
        string library = TorchSharpNativeLibrary.CopyTo(_folder);
        string system = SystemLibraryLocator.Find("libstdc++.so.6")!;
        bool machineHasVersion = ReferenceElfReader.ContainsString(File.ReadAllBytes(system), Version);
        var task = NewTask(systemLibrary: null, library);

        Assert.True(task.Execute());

        Assert.Equal(machineHasVersion, ElfVersionPatcher.RequiresVersion(library, Version));
        Assert.Equal(machineHasVersion ? 0 : 1, task.PatchedFiles.Length);
    }

    [Fact]
    public void ARunOnAlreadyPatchedCopiesIsSilentAndReportsNothing()
    {
        string library = TorchSharpNativeLibrary.CopyTo(_folder);
        Assert.True(NewTask(OlderLibstdcxx(), library).Execute());
        byte[] patched = File.ReadAllBytes(library);

        var again = NewTask(OlderLibstdcxx(), library);
        Assert.True(again.Execute());

        Assert.Empty(again.PatchedFiles);
        Assert.Equal(patched, File.ReadAllBytes(library));
        Assert.Empty(_engine.Warnings);
    }

    [Fact]
    public void ACorruptCopyGivesWarningLora101NamingItAndTheOthersAreStillPatched()
    {
        string corrupt = _folder.File("corrupt.so");
        File.WriteAllText(corrupt, "not an ELF file at all, but long enough to look like it could have a header....");
        string good = TorchSharpNativeLibrary.CopyTo(_folder);
        var task = NewTask(OlderLibstdcxx(), corrupt, good);

        Assert.True(task.Execute());

        var warning = Assert.Single(_engine.Warnings);
        Assert.Equal("LORA101", warning.Code);
        Assert.Equal(corrupt, warning.File);
        Assert.Contains(corrupt, warning.Message);
        Assert.Contains("not an ELF file", warning.Message);
        Assert.Empty(_engine.Errors);
        Assert.Equal([good], task.PatchedFiles.Select(f => f.ItemSpec));
    }

    [Fact]
    public void AMissingCopyGivesWarningLora101()
    {
        string missing = _folder.File("missing.so");
        var task = NewTask(OlderLibstdcxx(), missing);

        Assert.True(task.Execute());

        var warning = Assert.Single(_engine.Warnings);
        Assert.Equal("LORA101", warning.Code);
        Assert.Contains(missing, warning.Message);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public void AnUnreadableSystemLibraryCountsAsLackingTheVersion()
    {
        // Marking a requirement weak is harmless where the version exists, so doubt resolves towards patching.
        string unreadable = _folder.File("libstdc++.so.6");
        File.WriteAllText(unreadable, "garbage");
        string library = TorchSharpNativeLibrary.CopyTo(_folder);

        Assert.True(NewTask(unreadable, library).Execute());

        Assert.False(ElfVersionPatcher.RequiresVersion(library, Version));
        Assert.Empty(_engine.Warnings);
    }

    private PatchNativeLibraryVersions NewTask(string? systemLibrary, params string[] files) => new()
    {
        BuildEngine = _engine,
        SystemLibraryPath = systemLibrary,
        Files = files.Select(f => new TaskItem(f)).ToArray(),
    };

    private string OlderLibstdcxx() =>
        FakeSharedLibrary.Write(_folder.File("libstdc++-gcc12.so.6"), "libstdc++.so.6", "GLIBCXX_3.4", "GLIBCXX_3.4.29", "GLIBCXX_3.4.30", "CXXABI_1.3.13");

    private string NewerLibstdcxx() =>
        FakeSharedLibrary.Write(_folder.File("libstdc++-gcc13.so.6"), "libstdc++.so.6", "GLIBCXX_3.4", "GLIBCXX_3.4.30", "GLIBCXX_3.4.31", Version);
}
