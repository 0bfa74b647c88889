using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Images for classification: RGB pixel values 0–255 as float (count × 3 × side × side) and their label ids
/// (int64), with the label names in id order. Disposing frees the tensors.
/// </summary>
public sealed class LabeledImages : IDisposable
{
    /// <summary>Images with one label id each; disposing the set frees both tensors.</summary>
    public LabeledImages(Tensor pixels, Tensor labels, IReadOnlyList<string> labelNames)
    {
        if (pixels.dim() != 4 || pixels.shape[1] != 3)
            throw new ArgumentException($"Pixels must be (count × 3 × height × width); got [{string.Join(", ", pixels.shape)}].", nameof(pixels));
        if (labels.dim() != 1 || labels.shape[0] != pixels.shape[0])
            throw new ArgumentException($"{labels.shape[0]} labels for {pixels.shape[0]} images.", nameof(labels));
        Pixels = pixels;
        Labels = labels;
        LabelNames = labelNames;
    }

    /// <summary>RGB values 0–255 as float, (count × 3 × height × width).</summary>
    public Tensor Pixels { get; }
    /// <summary>int64 label ids, (count).</summary>
    public Tensor Labels { get; }
    /// <summary>The label names in id order.</summary>
    public IReadOnlyList<string> LabelNames { get; }
    /// <summary>The number of images.</summary>
    public long Count => Pixels.shape[0];

    /// <summary>
    /// Grayscale images (count × height × width bytes, row-major) resized bilinearly to <paramref name="side"/> and
    /// replicated to three channels, as a network trained on colour photos takes them.
    /// </summary>
    public static LabeledImages FromGrayscale(byte[] pixels, int count, int height, int width, int side, long[] labels, IReadOnlyList<string> labelNames)
    {
        using var scope = NewDisposeScope();
        var gray = tensor(pixels, [count, 1, height, width]).to_type(ScalarType.Float32);
        var resized = side == height && side == width
            ? gray
            : nn.functional.interpolate(gray, [side, side], mode: InterpolationMode.Bilinear, align_corners: false).clamp_(0, 255);
        var rgb = resized.expand(count, 3, side, side).contiguous();
        return new LabeledImages(rgb.MoveToOuterDisposeScope(), tensor(labels).MoveToOuterDisposeScope(), labelNames);
    }

    /// <summary>RGB images of one size (count × side × side × 3 bytes, row-major, as image libraries hand them out).</summary>
    public static LabeledImages FromRgb(byte[] pixels, int count, int side, long[] labels, IReadOnlyList<string> labelNames)
    {
        using var scope = NewDisposeScope();
        var rgb = tensor(pixels, [count, side, side, 3]).permute(0, 3, 1, 2).to_type(ScalarType.Float32).contiguous();
        return new LabeledImages(rgb.MoveToOuterDisposeScope(), tensor(labels).MoveToOuterDisposeScope(), labelNames);
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Pixels.Dispose();
        Labels.Dispose();
    }
}
