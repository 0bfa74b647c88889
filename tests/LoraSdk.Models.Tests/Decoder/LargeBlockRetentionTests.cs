using System.Runtime.InteropServices;
using LoraSdk.Native;
using Xunit;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Decoder;

/// <summary>
/// A decoder's first training forward keeps glibc from unmapping large freed blocks (LargeBlockRetention): a block well
/// above the primed 32 MiB threshold then comes from the heap, not from a mapping of its own that every step would
/// fault in again.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public sealed class LargeBlockRetentionTests
{
    private const int Block = 48 * 1024 * 1024; // above glibc's 32 MiB ceiling for its own threshold, within a thread arena's 64 MiB heap

    [Fact]
    public void After_a_training_forward_a_48_MiB_block_comes_from_the_heap()
    {
        bool glibc = OperatingSystem.IsLinux() && MallocTrim.IsGlibc() &&
                     !MallocThreshold.IsOptOut(Environment.GetEnvironmentVariable(MallocThreshold.OptOutVariable));
        using var dir = new TempDirectory();
        var spec = new TinyDecoderSpec();
        using var model = DecoderTestKit.LoadTiny(dir, spec, spec.RandomWeights(seed: 41), new CausalLMLoadOptions { DType = ScalarType.Float64 });
        model.train();
        using (var logits = model.call(DecoderTestKit.IdsTensor)) logits.sum().backward();
        Assert.Equal(glibc, LargeBlockRetention.IsEnabled); // the forward applied it
        if (!glibc) return;

        var block = Marshal.AllocHGlobal(Block);
        try
        {
            Assert.False(MallocThreshold.IsOwnMapping(block), "a 48 MiB block after a training forward is an mmapped chunk");
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
    }
}
