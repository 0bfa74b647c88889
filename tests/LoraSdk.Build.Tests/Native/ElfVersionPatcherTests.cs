using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using LoraSdk.Build.Native;
using LoraSdk.Build.Tests.Support;
using LoraSdk.Testing;

namespace LoraSdk.Build.Tests.Native;

/// <summary>The patcher on a copy of the real libLibTorchSharp.so that NuGet ships.</summary>
public sealed class ElfVersionPatcherTests : IDisposable
{
    private const string Version = TorchSharpNativeLibrary.Version;
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void TheShippedLibraryHasAStrongRequirementToPatch()
    {
        var need = Assert.Single(ReferenceElfReader.VersionNeeds(File.ReadAllBytes(TorchSharpNativeLibrary.PackagePath)), n => n.Version == Version);
        Assert.False(need.IsWeak);
        Assert.True(ElfVersionPatcher.RequiresVersion(TorchSharpNativeLibrary.PackagePath, Version));
    }

    [Fact]
    public void MarkingWeakChangesOnlyTheTwoFlagBytesOfThatRequirement()
    {
        string library = TorchSharpNativeLibrary.CopyTo(_folder);
        byte[] before = File.ReadAllBytes(library);
        var need = ReferenceElfReader.VersionNeeds(before).Single(n => n.Version == Version);

        Assert.Equal(PatchOutcome.Patched, ElfVersionPatcher.MarkVersionWeak(library, Version));

        byte[] after = File.ReadAllBytes(library);
        Assert.Equal(before.Length, after.Length);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        Assert.NotEmpty(changed);
        Assert.All(changed, i => Assert.InRange(i, need.FlagsOffset, need.FlagsOffset + 1));

        var patched = ReferenceElfReader.VersionNeeds(after).Single(n => n.Version == Version);
        Assert.Equal(need.Flags | ReferenceElfReader.WeakFlag, patched.Flags);
        Assert.False(ElfVersionPatcher.RequiresVersion(library, Version));
        Assert.Equal(["libLibTorchSharp.so"], _folder.FileNames());
    }

    [Fact]
    public void EveryOtherRequirementStaysStrong()
    {
        string library = TorchSharpNativeLibrary.CopyTo(_folder);
        ElfVersionPatcher.MarkVersionWeak(library, Version);

        var others = ReferenceElfReader.VersionNeeds(File.ReadAllBytes(library)).Where(n => n.Version != Version).ToList();
        Assert.Contains(others, n => n.Version == "GLIBCXX_3.4.30");
        Assert.All(others, n => Assert.False(n.IsWeak, n.Version));
        Assert.True(ElfVersionPatcher.RequiresVersion(library, "GLIBCXX_3.4.30"));
    }

    [Fact]
    public void ASecondCallReportsAlreadyWeakAndDoesNotRewriteTheFile()
    {
        string library = TorchSharpNativeLibrary.CopyTo(_folder);
        ElfVersionPatcher.MarkVersionWeak(library, Version);
        var stamp = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(library, stamp);
        byte[] patched = File.ReadAllBytes(library);

        Assert.Equal(PatchOutcome.AlreadyWeak, ElfVersionPatcher.MarkVersionWeak(library, Version));

        Assert.Equal(patched, File.ReadAllBytes(library));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(library));
        Assert.Equal(["libLibTorchSharp.so"], _folder.FileNames());
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead)]
    [UnsupportedOSPlatform("windows")]
    public void PermissionBitsSurviveThePatch(UnixFileMode mode)
    {
        string library = TorchSharpNativeLibrary.CopyTo(_folder);
        File.SetUnixFileMode(library, mode);

        ElfVersionPatcher.MarkVersionWeak(library, Version);

        Assert.Equal(mode, File.GetUnixFileMode(library));
    }

    [Fact]
    public void AHardLinkedOriginalIsNotWrittenThrough()
    {
        // MSBuild may hard-link output files to the NuGet cache: the patch must replace the output name only.
        string cache = TorchSharpNativeLibrary.CopyTo(_folder, "cache.so");
        string output = _folder.File("output.so");
        Assert.Equal(0, link(cache, output));

        ElfVersionPatcher.MarkVersionWeak(output, Version);

        Assert.False(ElfVersionPatcher.RequiresVersion(output, Version));
        Assert.Equal(File.ReadAllBytes(TorchSharpNativeLibrary.PackagePath), File.ReadAllBytes(cache));
    }

    [Fact]
    public void ASymlinkedOutputIsReplacedNotWrittenThrough()
    {
        string cache = TorchSharpNativeLibrary.CopyTo(_folder, "cache.so");
        string output = _folder.File("output.so");
        File.CreateSymbolicLink(output, cache);

        ElfVersionPatcher.MarkVersionWeak(output, Version);

        Assert.Null(new FileInfo(output).LinkTarget);
        Assert.False(ElfVersionPatcher.RequiresVersion(output, Version));
        Assert.Equal(File.ReadAllBytes(TorchSharpNativeLibrary.PackagePath), File.ReadAllBytes(cache));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int link(string existing, string newPath);
}
