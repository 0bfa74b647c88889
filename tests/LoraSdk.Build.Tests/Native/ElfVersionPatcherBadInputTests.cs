using LoraSdk.Build.Native;
using LoraSdk.Build.Tests.Support;
using LoraSdk.Testing;

namespace LoraSdk.Build.Tests.Native;

/// <summary>
/// Every bad input gives an error that names the file and the problem, and leaves the file on disk
/// byte-identical with nothing left beside it.
/// </summary>
public sealed class ElfVersionPatcherBadInputTests : IDisposable
{
    private const string Version = TorchSharpNativeLibrary.Version;
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ATextFileIsNotAnElfFile()
    {
        string path = _folder.File("libLibTorchSharp.so");
        File.WriteAllText(path, "this is not a shared library, just some text long enough to fill an ELF header.......");
        AssertRejected(path, "not an ELF file");
    }

    [Fact]
    public void AnEmptyFileIsNotAnElfFile()
    {
        string path = _folder.File("empty.so");
        File.WriteAllBytes(path, []);
        AssertRejected(path, "not an ELF file");
    }

    public static TheoryData<string> CutPoints() => ["inside the ELF header", "inside .gnu.version_r", "half way", "inside the section-header table", "one byte short"];

    [Theory]
    [MemberData(nameof(CutPoints))]
    public void ATruncatedCopyIsRejected(string where)
    {
        byte[] full = File.ReadAllBytes(TorchSharpNativeLibrary.PackagePath);
        var (needsOffset, needsSize) = ReferenceElfReader.VersionNeedSection(full);
        var (tableOffset, tableSize) = ReferenceElfReader.SectionHeaderTable(full);
        Assert.Equal(full.Length, tableOffset + tableSize); // the table is the file's tail, as the cuts assume
        int length = where switch
        {
            "inside the ELF header" => 40,
            "inside .gnu.version_r" => needsOffset + needsSize / 2,
            "half way" => full.Length / 2,
            "inside the section-header table" => tableOffset + tableSize / 3 + 5,
            _ => full.Length - 1,
        };
        string path = _folder.File("libLibTorchSharp.so");
        File.WriteAllBytes(path, full[..length]);

        AssertRejected(path, "truncated");
    }

    [Theory]
    [InlineData(4, 1, "only 64-bit")]
    [InlineData(5, 2, "only little-endian")]
    public void AnUnsupportedElfClassIsRejected(int index, byte value, string problem)
    {
        string path = TorchSharpNativeLibrary.CopyTo(_folder);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[index] = value;
        File.WriteAllBytes(path, bytes);

        AssertRejected(path, problem);
    }

    [Fact]
    public void ADamagedRequirementOffsetIsRejectedInsteadOfPatchingElsewhere()
    {
        string path = TorchSharpNativeLibrary.CopyTo(_folder);
        byte[] bytes = File.ReadAllBytes(path);
        var (needsOffset, _) = ReferenceElfReader.VersionNeedSection(bytes);
        // vn_aux of the first Verneed entry: point it far past the section, still inside the file.
        BitConverter.GetBytes(0x10000u).CopyTo(bytes, needsOffset + 8);
        File.WriteAllBytes(path, bytes);

        AssertRejected(path, "lies outside its section");
    }

    [Fact]
    public void AnOverflowingSectionSizeIsRejected()
    {
        string path = TorchSharpNativeLibrary.CopyTo(_folder);
        byte[] bytes = File.ReadAllBytes(path);
        var (tableOffset, _) = ReferenceElfReader.SectionHeaderTable(bytes);
        // Section 1's sh_size: offset + size wraps around a signed 64-bit sum.
        BitConverter.GetBytes(long.MaxValue).CopyTo(bytes, tableOffset + 64 + 0x20);
        File.WriteAllBytes(path, bytes);

        AssertRejected(path, "section 1 lies beyond the end of the file");
    }

    [Fact]
    public void AVersionTheFileDoesNotRequireIsRejected()
    {
        string path = TorchSharpNativeLibrary.CopyTo(_folder);
        AssertRejected(path, "no requirement for symbol version 'GLIBCXX_9.9.9'", "GLIBCXX_9.9.9");
    }

    [Fact]
    public void AMissingFileIsReportedAndNotCreated()
    {
        string path = _folder.File("missing.so");
        var error = Assert.Throws<FileNotFoundException>(() => ElfVersionPatcher.MarkVersionWeak(path, Version));
        Assert.Contains(path, error.Message);
        Assert.Contains("no such file", error.Message);
        Assert.Empty(_folder.FileNames());
    }

    private void AssertRejected(string path, string problem, string version = Version)
    {
        byte[] before = File.ReadAllBytes(path);
        var stamp = File.GetLastWriteTimeUtc(path);
        string[] files = _folder.FileNames();

        var error = Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.MarkVersionWeak(path, version));

        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(problem, error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
        Assert.Equal(files, _folder.FileNames());
    }
}
