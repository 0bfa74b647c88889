using LoraSdk.Models;
using SkiaSharp;

namespace Company.LoraProject.Data;

/// <summary>
/// Reads an image classification data set laid out as <c>&lt;folder&gt;/&lt;label&gt;/&lt;image&gt;.png</c> (any
/// format SkiaSharp decodes: PNG, JPEG, BMP, GIF, WebP). Every image is checked and decoded before training starts;
/// a missing or empty folder, a file outside a label folder, a nested folder, a non-image file or an image that does
/// not decode is an <see cref="ImageDataException"/> naming it. Images are resized to a square
/// (<c>LoRA:ImageSize</c>, bilinear) and converted to RGB, as the pretrained ResNet-18 takes them.
/// </summary>
public static class ImageFolder
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <param name="labels">The label names in id order the folders must match (the validation set must have the
    /// training set's labels); null to take the sorted folder names.</param>
    /// <param name="maxPerClass">Read only the first this many images of each label (sorted by file name); 0 reads all.</param>
    public static LabeledImages Read(string root, int side, int maxPerClass = 0, IReadOnlyList<string>? labels = null)
    {
        if (!Directory.Exists(root))
            throw new ImageDataException(root, "the image folder does not exist; expected one sub-folder per label: <folder>/<label>/<image>.png.");
        var stray = Directory.GetFiles(root).Order(StringComparer.Ordinal).FirstOrDefault();
        if (stray is not null)
            throw new ImageDataException(stray, $"images must be in one sub-folder per label (<folder>/<label>/<image>.png), not directly in {root}.");
        var folders = Directory.GetDirectories(root).Order(StringComparer.Ordinal).ToList();
        var names = folders.Select(Path.GetFileName).Select(n => n!).ToList();
        if (labels is null && names.Count < 2)
            throw new ImageDataException(root, $"found {names.Count} label folder(s); classification needs at least two (<folder>/<label>/<image>.png).");
        if (labels is not null && !names.SequenceEqual(labels))
            throw new ImageDataException(root, $"the label folders [{string.Join(", ", names)}] are not the training labels [{string.Join(", ", labels)}].");

        var pixels = new List<byte>();
        var ids = new List<long>();
        for (int label = 0; label < folders.Count; label++)
        {
            var files = ImagesOf(folders[label]);
            if (maxPerClass > 0) files = files.Take(maxPerClass).ToList();
            foreach (var file in files)
            {
                pixels.AddRange(Decode(file, side));
                ids.Add(label);
            }
        }
        return LabeledImages.FromRgb([.. pixels], ids.Count, side, [.. ids], labels ?? names);
    }

    /// <summary>One image as side × side × 3 RGB bytes; the error names the file.</summary>
    public static byte[] Decode(string file, int side)
    {
        using var source = DecodeWhole(file);
        using var scaled = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (!source.ScalePixels(scaled, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None)))
            throw new ImageDataException(file, $"could not be resized to {side}×{side} (colour type {source.ColorType}).");
        var rgba = scaled.GetPixelSpan();
        var rgb = new byte[side * side * 3];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            rgb[i] = rgba[j];
            rgb[i + 1] = rgba[j + 1];
            rgb[i + 2] = rgba[j + 2];
        }
        return rgb;
    }

    /// <summary>
    /// The whole picture, or an error naming the file. SKBitmap.Decode takes a partial decode (a file cut short, or
    /// a valid header followed by damaged data) as success and leaves the rest of the picture blank, so the codec is
    /// asked directly and anything but a complete decode is refused: a half-blank image would be trained on, or
    /// predicted, without a word. Decoded as SKBitmap.Decode does (its colour and alpha types), so a sound image
    /// gives the same pixels.
    /// </summary>
    private static SKBitmap DecodeWhole(string file)
    {
        const string unreadable = "not a readable image (corrupt, empty, or a format SkiaSharp does not decode).";
        using var codec = SKCodec.Create(file, out var opened) ?? throw new ImageDataException(file, unreadable);
        var info = codec.Info;
        if (info.AlphaType == SKAlphaType.Unpremul) info.AlphaType = SKAlphaType.Premul;
        info.ColorSpace = null;
        var bitmap = new SKBitmap(info);
        var decoded = opened == SKCodecResult.Success ? codec.GetPixels(info, bitmap.GetPixels()) : opened;
        if (decoded == SKCodecResult.Success) return bitmap;
        bitmap.Dispose();
        throw new ImageDataException(file, decoded == SKCodecResult.IncompleteInput
            ? "not a readable image: its data ends before the picture does (cut short, or damaged), so part of it would be blank."
            : $"not a readable image: SkiaSharp stopped decoding it ({decoded}).");
    }

    private static List<string> ImagesOf(string folder)
    {
        var nested = Directory.GetDirectories(folder).Order(StringComparer.Ordinal).FirstOrDefault();
        if (nested is not null)
            throw new ImageDataException(nested, "label folders hold images only; nested folders are not read (<folder>/<label>/<image>.png).");
        var files = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToList();
        var other = files.FirstOrDefault(f => !Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()));
        if (other is not null)
            throw new ImageDataException(other, $"not an image file (expected {string.Join(", ", Extensions)}).");
        if (files.Count == 0)
            throw new ImageDataException(folder, $"the class '{Path.GetFileName(folder)}' has no images.");
        return files;
    }
}
