using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// What the pretrained ResNet-18 expects as input, as the package's <c>ResNetPreprocess.onnx</c> computes it:
/// RGB pixel values in 0–255, reordered to BGR, minus a per-pixel mean image (3 × 224 × 224, BGR). Images of
/// another size get the mean image resized bilinearly to theirs (at 224 × 224 the result is exactly the graph's).
/// </summary>
public sealed class ResNetPreprocessing : IDisposable
{
    /// <summary>The side of the images the network was trained on.</summary>
    public const int TrainedSize = 224;

    private readonly Tensor _meanBgr;

    /// <param name="meanImageBgr">The mean image, (1 × 3 × H × W), BGR.</param>
    public ResNetPreprocessing(Tensor meanImageBgr)
    {
        if (meanImageBgr.dim() != 4 || meanImageBgr.shape[0] != 1 || meanImageBgr.shape[1] != 3)
            throw new ArgumentException($"The mean image must be (1 × 3 × height × width); got [{string.Join(", ", meanImageBgr.shape)}].", nameof(meanImageBgr));
        _meanBgr = meanImageBgr.detach().to_type(ScalarType.Float32).clone();
    }

    /// <summary>The mean image, (1 × 3 × H × W), BGR.</summary>
    public Tensor MeanImageBgr => _meanBgr;

    /// <param name="rgb">(batch × 3 × height × width) RGB values in 0–255, float.</param>
    /// <returns>The network input: BGR minus the mean image.</returns>
    public Tensor Apply(Tensor rgb)
    {
        if (rgb.dim() != 4 || rgb.shape[1] != 3)
            throw new ArgumentException($"Images must be (batch × 3 × height × width) RGB; got [{string.Join(", ", rgb.shape)}].", nameof(rgb));
        using var scope = NewDisposeScope();
        var bgr = rgb.flip(1);
        var mean = MeanFor(rgb.shape[2], rgb.shape[3], rgb.device, rgb.dtype);
        return (bgr - mean).MoveToOuterDisposeScope();
    }

    private Tensor MeanFor(long height, long width, Device device, ScalarType dtype)
    {
        var mean = _meanBgr.to(device).to_type(dtype);
        if (mean.shape[2] == height && mean.shape[3] == width) return mean;
        return nn.functional.interpolate(mean, [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
    }

    /// <summary>Frees its mean-pixel tensor.</summary>
    public void Dispose() => _meanBgr.Dispose();
}
