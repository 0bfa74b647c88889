using System.Runtime.InteropServices;
using LoraSdk.Native;

namespace LoraSdk.Training.Tests.Native;

public class MallocTrimTests
{
    [Fact]
    public void GivesFreedHeapMemoryBackOnGlibc()
    {
        if (!OperatingSystem.IsLinux() || !MallocTrim.IsGlibc())
        {
            Assert.False(MallocTrim.Release());
            return;
        }
        // 64 MiB in blocks below the mmap threshold (so they live in the heap), touched, then freed: the heap keeps them.
        var blocks = Enumerable.Range(0, 4096).Select(_ => Marshal.AllocHGlobal(16 * 1024)).ToList();
        foreach (var block in blocks) Marshal.Copy(new byte[16 * 1024], 0, block, 16 * 1024);
        foreach (var block in blocks) Marshal.FreeHGlobal(block);
        Assert.True(MallocTrim.Release(), "64 MiB of freed heap blocks should be released");
    }

    [Fact]
    public void ThisDebianMachineHasGlibc()
    {
        // The repository's CI and developer machines are Debian 12; on them the trim must really run.
        if (OperatingSystem.IsLinux() && File.Exists("/etc/debian_version")) Assert.True(MallocTrim.IsGlibc());
    }
}
