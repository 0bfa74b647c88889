using static LoraSdk.Tests.Adapters.AdapterTestKit;

namespace LoraSdk.Tests.Adapters;

/// <summary>The folder swap itself, with the OS exchange and with the two-rename fallback.</summary>
public sealed class AtomicDirectoryTests : IDisposable
{
    private readonly TempFolder _parent = NewFolder();

    public void Dispose() => _parent.Dispose();

    [Fact]
    public void LinuxExchangesTwoFoldersInOneStep()
    {
        string first = _parent.Combine("first"), second = _parent.Combine("second");
        Directory.CreateDirectory(first);
        Directory.CreateDirectory(second);
        File.WriteAllText(Path.Combine(first, "a.txt"), "a");
        File.WriteAllText(Path.Combine(second, "b.txt"), "b");

        bool exchanged = DirectoryExchange.TryExchange(first, second);

        Assert.Equal(OperatingSystem.IsLinux(), exchanged);
        if (!exchanged) return;
        Assert.Equal(["b.txt"], Directory.GetFiles(first).Select(Path.GetFileName));
        Assert.Equal(["a.txt"], Directory.GetFiles(second).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReplacingAFolderKeepsUnrelatedEntriesAndLeavesNoSiblings(bool useOsExchange)
    {
        string target = _parent.Combine("adapter");
        Func<string, string, bool>? exchange = useOsExchange ? null : (_, _) => false;
        AtomicDirectory.Write(target, staging => File.WriteAllText(Path.Combine(staging, "weights"), "old"), exchange);
        Directory.CreateDirectory(Path.Combine(target, "plots"));
        File.WriteAllText(Path.Combine(target, "plots", "loss.svg"), "<svg/>");

        AtomicDirectory.Write(target, staging => File.WriteAllText(Path.Combine(staging, "weights"), "new"), exchange);

        Assert.Equal("new", File.ReadAllText(Path.Combine(target, "weights")));
        Assert.Equal("<svg/>", File.ReadAllText(Path.Combine(target, "plots", "loss.svg")));
        Assert.Equal(["adapter"], Directory.EnumerateFileSystemEntries(_parent.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void AFailingWriterLeavesTheOldFolderAndNoStaging()
    {
        string target = _parent.Combine("adapter");
        AtomicDirectory.Write(target, staging => File.WriteAllText(Path.Combine(staging, "weights"), "old"));

        Assert.Throws<InvalidOperationException>(() => AtomicDirectory.Write(target, staging =>
        {
            File.WriteAllText(Path.Combine(staging, "weights"), "half");
            throw new InvalidOperationException("crash");
        }));

        Assert.Equal("old", File.ReadAllText(Path.Combine(target, "weights")));
        Assert.Equal(["adapter"], Directory.EnumerateFileSystemEntries(_parent.Path).Select(Path.GetFileName));
    }
}
