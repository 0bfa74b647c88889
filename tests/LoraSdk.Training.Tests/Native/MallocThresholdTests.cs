using System.Runtime.InteropServices;
using LoraSdk.Native;

namespace LoraSdk.Training.Tests.Native;

/// <summary>Tests that count the process's page faults: no other test may run beside them.</summary>
[CollectionDefinition(nameof(PageFaultCounting), DisableParallelization = true)]
public sealed class PageFaultCounting;

[Collection(nameof(PageFaultCounting))]
public class MallocThresholdTests
{
    private const int Block = 16 * 1024 * 1024; // an encoder layer's worth of activations

    [Fact]
    public void AfterPrimingAFreedBlockIsReusedWithoutFreshPages()
    {
        if (!OperatingSystem.IsLinux() || !MallocTrim.IsGlibc() || MallocThreshold.IsOptOut(Environment.GetEnvironmentVariable(MallocThreshold.OptOutVariable)))
        {
            Assert.False(MallocThreshold.Prime());
            return;
        }
        Assert.True(MallocThreshold.Prime());
        Assert.True(MallocThreshold.Prime()); // once per process; later calls just answer
        TouchAndFree(); // the first use may fault its pages in
        long before = MinorFaults();
        TouchAndFree();
        long faults = MinorFaults() - before;
        // Unprimed (threshold 128 KiB, heap trimmed beyond 256 KiB free) the second use faults its 4,096 pages in again;
        // primed, the freed block stays in the heap and comes back as it was.
        Assert.True(faults < 1024, $"{faults} minor faults re-using a freed 16 MiB block after priming");
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("1", false)]
    [InlineData("0", true)]
    [InlineData(" off ", true)]
    [InlineData("FALSE", true)]
    public void TheOptOutVariableTurnsThePrimingOffOnlyWhenItSaysSo(string? value, bool optOut) =>
        Assert.Equal(optOut, MallocThreshold.IsOptOut(value));

    private static void TouchAndFree()
    {
        var block = Marshal.AllocHGlobal(Block);
        var page = new byte[4096];
        for (int offset = 0; offset < Block; offset += page.Length) Marshal.Copy(page, 0, block + offset, page.Length);
        Marshal.FreeHGlobal(block);
    }

    private static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7]);
    }
}
