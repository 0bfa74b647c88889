using static LoraSdk.Tests.Adapters.AdapterTestKit;

namespace LoraSdk.Tests.Adapters;

/// <summary>A save killed mid-write leaves a hidden staging folder; the next save of the same target removes it, and only it.</summary>
public sealed class StagingSweepTests : IDisposable
{
    private readonly TempFolder _parent = NewFolder();

    public void Dispose() => _parent.Dispose();

    private string Target => _parent.Combine("adapter");

    /// <summary>What a kill during a save leaves: the staging folder with a partial file, and its (no longer held) lock file.</summary>
    private string Abandoned(string target, bool withLock = true)
    {
        string staging = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.saving-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "adapter_model.safetensors"), "half");
        if (withLock) File.WriteAllText(staging + ".lock", "");
        return staging;
    }

    private void Save() => AtomicDirectory.Write(Target, staging => File.WriteAllText(Path.Combine(staging, "weights"), "new"));

    [Fact]
    public void TheNextSaveRemovesAbandonedStagingFoldersOfItsTarget()
    {
        Abandoned(Target);
        Abandoned(Target);
        Save();
        Assert.Equal(["adapter"], Directory.EnumerateFileSystemEntries(_parent.Path).Select(Path.GetFileName));
        Assert.Equal("new", File.ReadAllText(Path.Combine(Target, "weights")));
    }

    [Fact]
    public void AStagingFolderWhoseLockIsHeldBelongsToASaveInProgress()
    {
        string running = Abandoned(Target);
        using (new FileStream(running + ".lock", FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            Save();
        Assert.True(Directory.Exists(running));
    }

    [Fact]
    public void OtherTargetsAndOtherNamesAreLeftAlone()
    {
        string other = Abandoned(_parent.Combine("other-adapter"));
        string notOurs = _parent.Combine(".adapter.saving-notes");
        Directory.CreateDirectory(notOurs);
        Save();
        Assert.True(Directory.Exists(other));
        Assert.True(Directory.Exists(notOurs));
    }

    [Fact]
    public void WithoutALockFileOnlyAnHourOldFolderIsRemoved()
    {
        string fresh = Abandoned(Target, withLock: false);
        string old = Abandoned(Target, withLock: false);
        Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddHours(-2));
        Save();
        Assert.True(Directory.Exists(fresh));
        Assert.False(Directory.Exists(old));
    }
}
