using LoraSdk.Native;

namespace LoraSdk.Training.Tests.Native;

public class MallocTuningTests
{
    [Fact]
    public void AppliesOnGlibcLinuxAndNowhereElse()
    {
        bool glibc = OperatingSystem.IsLinux() && MallocTuning.IsGlibc();
        Assert.Equal(glibc, MallocTuning.Apply());
        Assert.Equal(glibc, MallocTuning.Apply()); // idempotent
        if (glibc) Assert.True(MallocTuning.SetMmapThreshold(), "glibc's mallopt(M_MMAP_THRESHOLD, 131072) should accept the value");
    }

    [Fact]
    public void ThisDebianMachineHasGlibc()
    {
        // The repository's CI and developer machines are Debian 12; on them the tuning must really run.
        if (OperatingSystem.IsLinux() && File.Exists("/etc/debian_version")) Assert.True(MallocTuning.IsGlibc());
    }
}
