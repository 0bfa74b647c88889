using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests;

/// <summary>TorchSharp's native library loads in this process (on Debian 12 only thanks to the build-time patch).</summary>
public class TorchSharpLoadsTests
{
    [Fact]
    public void MatrixProductRunsInTheTestProcess()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var product = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());
    }
}
