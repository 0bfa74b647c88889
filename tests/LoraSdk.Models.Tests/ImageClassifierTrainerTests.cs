using LoraSdk.Models;
using LoraSdk.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>The image trainer never takes a step on non-finite gradients, and oneDNN's kernel cap.</summary>
public sealed class ImageClassifierTrainerTests
{
    [Fact]
    public void A_non_finite_gradient_stops_training_naming_the_step_and_the_parameter()
    {
        var finite = new Parameter(ones(3));
        var poisoned = new Parameter(ones(2));
        (finite * 2).sum().backward();
        (poisoned * float.NaN).sum().backward();
        List<(string, Parameter)> named = [("layer1.0.conv1_lora.lora_A.weight", finite), ("fc.weight", poisoned)];

        var error = Assert.Throws<InvalidOperationException>(() => ImageClassifierTrainer.ClipGradients(named, maxNorm: 1.0, step: 7, loss: 2.5));
        Assert.StartsWith("Non-finite gradient at step 7 (in 'fc.weight'; the loss was 2.5000). Nothing was saved.", error.Message);
        Assert.Contains("ONEDNN_MAX_CPU_ISA", error.Message);
    }

    [Fact]
    public void Finite_gradients_are_clipped_to_the_norm_and_unclipped_without_one()
    {
        var a = new Parameter(zeros(2));
        (a * tensor(new float[] { 3, 4 })).sum().backward();
        ImageClassifierTrainer.ClipGradients([("a", a)], maxNorm: 0, step: 1, loss: 1);
        Assert.Equal(new float[] { 3, 4 }, a.grad!.data<float>().ToArray());
        ImageClassifierTrainer.ClipGradients([("a", a)], maxNorm: 1, step: 2, loss: 1);
        Assert.Equal(1.0, a.grad!.norm().item<float>(), 1e-5);
    }

    [Theory]
    [InlineData("vendor_id\t: AuthenticAMD\nflags\t\t: fpu sse avx2 avx512f avx512bw\n", true)]
    [InlineData("vendor_id\t: AuthenticAMD\nflags\t\t: fpu sse avx2\n", false)]
    [InlineData("vendor_id\t: GenuineIntel\nflags\t\t: fpu sse avx2 avx512f\n", false)]
    [InlineData("vendor_id\t: AuthenticAMD\nflags\t\t: fpu avx512fp16\n", false)]
    public void Only_AMD_processors_with_AVX512_get_the_AVX2_cap(string cpuinfo, bool affected) =>
        Assert.Equal(affected, OneDnnIsaCap.IsAffected(cpuinfo));

    [Fact]
    public void The_cap_is_in_the_native_environment_on_affected_processors_unless_set_by_the_user()
    {
        string? user = Environment.GetEnvironmentVariable(OneDnnIsaCap.Variable); // the environment the process started with
        string? applied = OneDnnIsaCap.Apply();
        if (user is not null) Assert.Equal(user, applied);
        else if (OperatingSystem.IsLinux() && OneDnnIsaCap.IsAffected(File.ReadAllText("/proc/cpuinfo"))) Assert.Equal("AVX2", applied);
        else Assert.Null(applied);
    }
}
