using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>Compares llama.cpp's logits with the float64 reference, position by position.</summary>
internal static class GgufParityAssert
{
    /// <summary>The largest per-position relative error ‖llama.cpp − reference‖ / ‖reference‖ over the prompt.</summary>
    public static double MaxRelativeError(float[][] actual, Tensor reference)
    {
        Assert.Equal(reference.shape[0], actual.Length);
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            using var scope = NewDisposeScope();
            Tensor expected = reference[i];
            Assert.Equal(expected.shape[0], actual[i].Length);
            double error = (tensor(actual[i]).to(float64) - expected).norm().item<double>() / expected.norm().item<double>();
            worst = Math.Max(worst, error);
        }
        return worst;
    }
}
