using System.Runtime.InteropServices;
using LoraSdk.Native;

namespace LoraSdk.Training.Tests.Native;

/// <summary>Tests of the process's malloc state: no other test may run beside them.</summary>
[CollectionDefinition(nameof(MallocStateTests), DisableParallelization = true)]
public sealed class MallocStateTests;

[Collection(nameof(MallocStateTests))]
public class MallocThresholdTests
{
    private const int Block = 16 * 1024 * 1024; // an encoder layer's worth of activations

    [Fact]
    public void AfterPrimingABlockBelow32MiBComesFromTheHeapNotAFreshMapping()
    {
        if (!OperatingSystem.IsLinux() || !MallocTrim.IsGlibc() || MallocThreshold.IsOptOut(Environment.GetEnvironmentVariable(MallocThreshold.OptOutVariable)))
        {
            Assert.False(MallocThreshold.Prime());
            return;
        }
        Assert.True(MallocThreshold.Prime());
        Assert.True(MallocThreshold.Prime()); // once per process; later calls just answer
        // Unprimed, glibc's threshold starts at 128 KiB and a 16 MiB request is a fresh mmap (its pages faulted in at
        // every use); primed, the threshold is 32 MiB and the request is served from an arena, whose freed memory is
        // reused (MallocThreshold.IsOwnMapping reads glibc's IS_MMAPPED bit).
        // This checks the threshold itself, on whichever arena the test thread uses; counting page faults instead
        // depends on that arena's history (a thread arena deletes a heap that becomes wholly free).
        var block = Marshal.AllocHGlobal(Block);
        try
        {
            Assert.False(MallocThreshold.IsOwnMapping(block), "a 16 MiB block after priming is an mmapped chunk");
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
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
}
