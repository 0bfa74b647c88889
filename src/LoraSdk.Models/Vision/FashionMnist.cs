using System.Buffers.Binary;
using System.IO.Compression;

namespace LoraSdk.Models;

/// <summary>
/// Reads Fashion-MNIST from its original IDX files (gzip-compressed or not), e.g. Debian's
/// <c>dataset-fashion-mnist</c> package in <c>/usr/share/datasets/fashion-mnist</c>: 60,000 training and 10,000
/// test images, 28 × 28 grayscale, 10 classes. <c>samples/FashionMnist/make_subset.py</c> writes the subset that
/// the repository ships from the same files (the first N images of each class, in file order), as
/// <see cref="Read"/> with <c>perClass</c> selects them.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package installs the IDX files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";
    /// <summary>The images' side in pixels.</summary>
    public const int Side = 28;

    /// <summary>The class names in label order (as folder names of the shipped subset).</summary>
    public static IReadOnlyList<string> LabelNames { get; } =
        ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"];

    /// <param name="split"><c>train</c> or <c>t10k</c> (the file name prefix).</param>
    /// <param name="perClass">Keep only the first this many images of each class (file order); 0 keeps all.</param>
    /// <param name="side">The side the images are resized to (bilinear), replicated to RGB.</param>
    /// <param name="directory">The folder with the IDX files (e.g. <see cref="DebianDirectory"/>).</param>
    public static LabeledImages Read(string directory, string split, int perClass, int side)
    {
        var (images, count) = ReadIdx(Path.Combine(directory, $"{split}-images-idx3-ubyte"), 0x803, Side * Side);
        var (labels, labelCount) = ReadIdx(Path.Combine(directory, $"{split}-labels-idx1-ubyte"), 0x801, 1);
        if (count != labelCount)
            throw new InvalidDataException($"{directory}: {count} {split} images but {labelCount} labels.");

        var taken = new int[LabelNames.Count];
        var keptPixels = new List<byte>();
        var keptLabels = new List<long>();
        for (int i = 0; i < count; i++)
        {
            int label = labels[i];
            if (label >= LabelNames.Count) throw new InvalidDataException($"{directory}/{split} labels: label {label} at index {i} is not one of the 10 classes.");
            if (perClass > 0 && taken[label] >= perClass) continue;
            taken[label]++;
            keptPixels.AddRange(images.AsSpan(i * Side * Side, Side * Side));
            keptLabels.Add(label);
        }
        return LabeledImages.FromGrayscale([.. keptPixels], keptLabels.Count, Side, Side, side, [.. keptLabels], LabelNames);
    }

    /// <summary>The payload of an IDX file (<paramref name="path"/> or <paramref name="path"/>.gz) and its item count.</summary>
    private static (byte[] Data, int Count) ReadIdx(string path, int magic, int itemSize)
    {
        string file = File.Exists(path + ".gz") ? path + ".gz" : path;
        if (!File.Exists(file)) throw new FileNotFoundException($"Fashion-MNIST file '{path}(.gz)' does not exist (Debian: apt-get install dataset-fashion-mnist).", file);
        using var stream = File.OpenRead(file);
        using Stream input = file.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(stream, CompressionMode.Decompress) : stream;
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        var bytes = buffer.ToArray();
        int headerSize = magic == 0x803 ? 16 : 8;
        if (bytes.Length < headerSize || BinaryPrimitives.ReadInt32BigEndian(bytes) != magic)
            throw new InvalidDataException($"{file}: not an IDX file with magic number 0x{magic:x}.");
        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        if (bytes.Length != headerSize + (long)count * itemSize)
            throw new InvalidDataException($"{file}: {count} items of {itemSize} bytes need {headerSize + (long)count * itemSize} bytes, the file holds {bytes.Length} (truncated?).");
        return (bytes[headerSize..], count);
    }
}
